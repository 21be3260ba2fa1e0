import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSeries, scanDicomInputs } from '../../src/core/dicom';
import { missingData, sharedPath } from '../support/shared-data';
import { diffStats, loadOnly } from '../support/dicom-helpers';

const KNOWN_CODES = new Set([
  'DICOM_NOT_DICOM',
  'DICOM_MALFORMED',
  'DICOM_UNSUPPORTED_TRANSFER_SYNTAX',
  'DICOM_DECODE_FAILED',
  'DICOM_PIXEL_ATTRIBUTES',
  'DICOM_NO_IMAGE',
  'SERIES_INCONSISTENT',
]);

const pyMissing = missingData('dicom/pydicom/test_files/CT_small.dcm');
const py = (...p: string[]) => sharedPath('dicom', 'pydicom', 'test_files', ...p);

describe.skipIf(pyMissing)('pydicom test files', () => {
  it('every file either reads into a series or is skipped with a typed reason naming it', async () => {
    const dir = py();
    const files = readdirSync(dir)
      .map((f) => join(dir, f))
      .filter((f) => statSync(f).isFile());
    for (const f of files) {
      const scan = await scanDicomInputs([f]);
      const accounted = scan.series.length + scan.skipped.length;
      expect(accounted, f).toBeGreaterThan(0);
      for (const s of scan.skipped) {
        expect(KNOWN_CODES.has(s.code), `${f}: ${s.code}`).toBe(true);
        expect(s.path).toBe(f);
        expect(s.reason.length).toBeGreaterThan(10);
      }
      for (const s of scan.series) {
        const loaded = await loadSeries(s).catch((e) => e);
        if (loaded instanceof Error) {
          expect(KNOWN_CODES.has((loaded as { code?: string }).code ?? ''), f).toBe(true);
        } else {
          expect(loaded.volume.hu.length).toBe(s.rows * s.columns * s.slices);
        }
      }
    }
  });

  it('MR_small in every encoding decodes to identical values', async () => {
    const ref = await loadOnly(py('MR_small.dcm'));
    for (const f of [
      'MR_small_implicit.dcm',
      'MR_small_bigendian.dcm',
      'MR_small_expb.dcm',
      'MR_small_RLE.dcm',
      'MR_small_jp2klossless.dcm',
      'MR_small_jpeg_ls_lossless.dcm',
    ]) {
      const got = await loadOnly(py(f));
      expect(diffStats(ref.volume.hu, got.volume.hu).max, f).toBe(0);
    }
  });

  it('CT_small reads with its geometry and rescale; a truncated file gives a typed error', async () => {
    const ct = await loadOnly(py('CT_small.dcm'));
    expect(ct.volume.dims).toEqual([128, 128, 1]);
    expect(ct.series.metadata.modality).toBe('CT');
    expect(ct.volume.spacingMm[0]).toBeCloseTo(0.661468, 5);
    expect(ct.volume.originLps).toEqual([-158.135803, -179.035797, -75.699997]);
    const trunc = await scanDicomInputs([py('MR_truncated.dcm')]);
    expect(trunc.series).toEqual([]);
    expect(trunc.skipped[0]).toMatchObject({ code: 'DICOM_MALFORMED', path: py('MR_truncated.dcm') });
  });

  it('a big-endian data set without file meta is recognised as DICOM (a typed refusal, not "not DICOM")', async () => {
    const scan = await scanDicomInputs([py('ExplVR_BigEndNoMeta.dcm')]);
    expect(scan.series).toEqual([]);
    expect(scan.skipped[0]?.code).not.toBe('DICOM_NOT_DICOM');
    expect(KNOWN_CODES.has(scan.skipped[0]!.code)).toBe(true);
  });

  it('imports through a DICOMDIR: the referenced images, grouped into series', async () => {
    const scan = await scanDicomInputs([py('dicomdirtests', 'DICOMDIR')]);
    const direct = await scanDicomInputs([
      py('dicomdirtests', '77654033'),
      py('dicomdirtests', '98892001'),
      py('dicomdirtests', '98892003'),
    ]);
    expect(scan.series.length).toBeGreaterThan(0);
    expect(scan.series.map((s) => s.key).sort()).toEqual(direct.series.map((s) => s.key).sort());
    const ct = scan.series.find((s) => s.metadata.modality === 'CT' && s.slices > 100);
    expect(ct?.slices).toBe(165);
  });
});

const fuzzMissing = missingData('dicom/fuzz-corpus-v2.tar.xz');

describe.skipIf(fuzzMissing)('malformed-file corpus (fuzz-corpus-v2)', () => {
  it('every file gives a typed error or a read whose volume matches its header; no crash, bounded memory', async () => {
    const { extractArchive } = await import('../support/shared-data');
    const root = extractArchive('dicom/fuzz-corpus-v2.tar.xz', 'fuzz-corpus-v2');
    const walk = (d: string): string[] =>
      readdirSync(d).flatMap((f) => {
        const p = join(d, f);
        return statSync(p).isDirectory() ? walk(p) : [p];
      });
    const files = walk(root).filter((f) => f.endsWith('.dcm'));
    expect(files.length).toBeGreaterThanOrEqual(355);
    const rss0 = process.memoryUsage().rss;
    let read = 0;
    let rejected = 0;
    for (const f of files) {
      const scan = await scanDicomInputs([f]);
      for (const s of scan.skipped) {
        expect(KNOWN_CODES.has(s.code), `${f}: ${s.code} ${s.reason}`).toBe(true);
        rejected++;
      }
      for (const s of scan.series) {
        try {
          const l = await loadSeries(s);
          expect(l.volume.hu.length).toBe(s.rows * s.columns * s.slices);
          read++;
        } catch (e) {
          expect(KNOWN_CODES.has((e as { code?: string }).code ?? ''), `${f}: ${String(e)}`).toBe(true);
          rejected++;
        }
      }
    }
    console.info(`fuzz corpus: ${files.length} files, ${read} read, ${rejected} rejected with a typed error`);
    expect(read + rejected).toBeGreaterThanOrEqual(files.length);
    expect(rejected).toBeGreaterThan(50);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(1024 * 1024 * 1024);
  });
});
