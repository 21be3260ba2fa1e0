import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseInstance } from '../../src/core/dicom';
import { PADDING_HU } from '../../src/core/dicom/stored-to-hu';
import { missingData, sharedPath } from '../support/shared-data';
import { diffStats, loadOnly } from '../support/dicom-helpers';

const wg04Missing = missingData('dicom/wg04-ct/CT1_UNC');
const wg04 = (name: string) => sharedPath('dicom', 'wg04-ct', name);

describe.skipIf(wg04Missing)('NEMA WG04 CT compression set', () => {
  for (const ct of ['CT1', 'CT2']) {
    for (const variant of ['JPLL', 'JLSL', 'J2KR', 'RLE']) {
      it(`${ct}_${variant} (lossless) decodes to exactly the ${ct}_UNC HU values`, async () => {
        const ref = await loadOnly(wg04(`${ct}_UNC`));
        const got = await loadOnly(wg04(`${ct}_${variant}`));
        expect(got.volume.dims).toEqual(ref.volume.dims);
        expect(diffStats(ref.volume.hu, got.volume.hu).max).toBe(0);
      });
    }
    // Lossy bounds are over pixels that are not scanner padding in the reference: lossy coding
    // perturbs the padding value itself, so those pixels no longer match it.
    it(`${ct}_JLSN (JPEG-LS near-lossless) stays within the NEAR bound of 4`, async () => {
      const ref = await loadOnly(wg04(`${ct}_UNC`));
      const got = await loadOnly(wg04(`${ct}_JLSN`));
      const d = diffStats(ref.volume.hu, got.volume.hu, (v) => v === PADDING_HU);
      expect(d.max).toBeLessThanOrEqual(4);
      expect(d.max).toBeGreaterThan(0);
    });
    it(`${ct}_J2KI (JPEG 2000 lossy) stays within mean |error| 35 HU, max 500 HU`, async () => {
      const ref = await loadOnly(wg04(`${ct}_UNC`));
      const got = await loadOnly(wg04(`${ct}_J2KI`));
      const d = diffStats(ref.volume.hu, got.volume.hu, (v) => v === PADDING_HU);
      expect(d.mean).toBeLessThan(35);
      expect(d.max).toBeLessThan(500);
    });
  }
});

const dpMissing = missingData('dicom/dicomparser/CT1_UNC.explicit_little_endian.dcm');
const dp = (...p: string[]) => sharedPath('dicom', 'dicomparser', ...p);

describe.skipIf(dpMissing)('dicomParser test images', () => {
  it('CT1 in implicit LE, explicit LE and explicit big endian gives identical pixels', async () => {
    const le = await loadOnly(dp('CT1_UNC.explicit_little_endian.dcm'));
    const il = await loadOnly(dp('CT1_UNC.implicit_little_endian.dcm'));
    const be = await loadOnly(dp('CT1_UNC.explicit_big_endian.dcm'));
    expect(diffStats(le.volume.hu, il.volume.hu).max).toBe(0);
    expect(diffStats(le.volume.hu, be.volume.hu).max).toBe(0);
    expect(le.series.transferSyntaxes).toEqual(['1.2.840.10008.1.2.1']);
    expect(be.series.transferSyntaxes).toEqual(['1.2.840.10008.1.2.2']);
  });

  it('single-frame JPEG-LS with and without offset table, fragmented or not, equals the raw CT1', async () => {
    const dir = dp('encapsulated', 'single-frame');
    const ref = await loadOnly(join(dir, 'CT1_UNC.explicit_little_endian.dcm'));
    for (const f of readdirSync(dir).filter((n) => n.includes('jpeg_ls'))) {
      const got = await loadOnly(join(dir, f));
      expect(diffStats(ref.volume.hu, got.volume.hu).max, f).toBe(0);
    }
  });

  it('enhanced multi-frame CT0012 reads both frames with the per-frame rescale, sorted by position', async () => {
    const ref = await loadOnly(dp('encapsulated', 'multi-frame', 'CT0012.explicit_little_endian.dcm'));
    expect(ref.volume.dims).toEqual([512, 512, 2]);
    const header = parseInstance(
      (await import('node:fs')).readFileSync(
        dp('encapsulated', 'multi-frame', 'CT0012.explicit_little_endian.dcm'),
      ),
      'CT0012',
    ).header;
    // Rescale comes from the Pixel Value Transformation functional group, not the top level.
    expect(header.frames.map((f) => [f.slope, f.intercept])).toEqual([
      [1, -1024],
      [1, -1024],
    ]);
    expect(ref.volume.spacingMm[2]).toBeCloseTo(10, 3);
    expect(ref.huMin).toBe(-1024);
    for (const f of [
      'CT0012.fragmented_no_bot_jpeg_lossless.57.dcm',
      'CT0012.fragmented_no_bot_jpeg_lossless.70.dcm',
      'CT0012.fragmented_no_bot_jpeg_ls.80.dcm',
      'CT0012.not_fragmented_bot_jpeg_ls.80.dcm',
      'CT0012.not_fragmented_no_bot_jpeg_ls.80.dcm',
      'CT0012.not_fragmented_bot_rle.dcm',
      'CT0012.not_fragmented_no_bot_rle.dcm',
    ]) {
      const got = await loadOnly(dp('encapsulated', 'multi-frame', f));
      expect(diffStats(ref.volume.hu, got.volume.hu).max, f).toBe(0);
    }
    const near = await loadOnly(dp('encapsulated', 'multi-frame', 'CT0012.fragmented_no_bot_jpeg_ls.81.dcm'));
    expect(diffStats(ref.volume.hu, near.volume.hu).max).toBeLessThanOrEqual(2);
  });

  it.skipIf(!existsSync('/usr/bin/dcmdjpeg'))(
    'JPEG extended 12-bit (.4.51) matches dcmtk’s IJG decoder within 16 stored values',
    async () => {
      const src = dp('encapsulated', 'multi-frame', 'CT0012.fragmented_no_bot_jpeg_baseline.51.dcm');
      const out = join(mkdtempSync(join(tmpdir(), 'pl-dcmdjpeg-')), 'ref.dcm');
      execFileSync('dcmdjpeg', [src, out]);
      const got = await loadOnly(src);
      const ref = await loadOnly(out);
      const d = diffStats(ref.volume.hu, got.volume.hu);
      expect(d.max).toBeLessThanOrEqual(16);
    },
  );

  it('deflated files are inflated and parsed; the non-image ones are skipped with a reason', async () => {
    const { scanDicomInputs } = await import('../../src/core/dicom');
    const scan = await scanDicomInputs([dp('deflate')]);
    expect(scan.series.length).toBe(1);
    expect(scan.series[0]!.transferSyntaxes).toEqual(['1.2.840.10008.1.2.1.99']);
    const reasons = scan.skipped.filter((s) => !s.path.endsWith('.md'));
    expect(reasons.map((r) => r.code).sort()).toEqual(['DICOM_NO_IMAGE', 'DICOM_NO_IMAGE']);
  });
});
