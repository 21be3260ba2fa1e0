import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PADDING_HU } from '../../src/core/dicom/stored-to-hu';
import { diffStats, loadOnly } from '../support/dicom-helpers';
import { encodeHtj2k, nativePixels, withEncapsulatedFrame } from '../support/encapsulate';
import { cacheDir, lidcStudy, missingData, sharedPath } from '../support/shared-data';

const HTJ2K_LOSSLESS = '1.2.840.10008.1.2.4.201';
const HTJ2K_RPCL = '1.2.840.10008.1.2.4.202';
const HTJ2K = '1.2.840.10008.1.2.4.203';

const wg04Missing = missingData('dicom/wg04-ct/CT1_UNC', 'dicom/wg04-ct/CT2_UNC');
const lidcMissing = missingData('ct/LIDC-IDRI-0001.tar.xz');

mkdirSync(cacheDir, { recursive: true });
const dir = mkdtempSync(join(cacheDir, 'htj2k-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `src` re-encoded as HTJ2K (OpenJPH's encoder) and returns the new file's path. */
async function htj2kCopy(
  src: string,
  ts: string,
  opts: { lossless: boolean; quantizationStep?: number; rpcl?: boolean },
  fragments = 1,
): Promise<string> {
  const file = new Uint8Array(readFileSync(src));
  const stream = await encodeHtj2k(nativePixels(file), opts);
  const out = join(dir, `${src.replace(/\W+/g, '_')}-${ts}-${fragments}.dcm`);
  writeFileSync(out, withEncapsulatedFrame(file, ts, stream, fragments));
  return out;
}

describe.skipIf(wg04Missing)('HTJ2K (OpenJPH) on NEMA WG04 CT, encoded here from the _UNC pixels', () => {
  for (const ct of ['CT1', 'CT2']) {
    const unc = sharedPath('dicom', 'wg04-ct', `${ct}_UNC`);
    it(`${ct} HTJ2K lossless (.201), one and three fragments, decodes bit-exactly`, async () => {
      const ref = await loadOnly(unc);
      for (const fragments of [1, 3]) {
        const got = await loadOnly(await htj2kCopy(unc, HTJ2K_LOSSLESS, { lossless: true }, fragments));
        expect(got.skipped).toEqual([]);
        expect(got.series.transferSyntaxes).toEqual([HTJ2K_LOSSLESS]);
        expect(diffStats(ref.volume.hu, got.volume.hu).max).toBe(0);
      }
    });
    it(`${ct} HTJ2K lossless RPCL (.202) decodes bit-exactly`, async () => {
      const ref = await loadOnly(unc);
      const got = await loadOnly(await htj2kCopy(unc, HTJ2K_RPCL, { lossless: true, rpcl: true }));
      expect(got.series.transferSyntaxes).toEqual([HTJ2K_RPCL]);
      expect(diffStats(ref.volume.hu, got.volume.hu).max).toBe(0);
    });
    it(`${ct} HTJ2K lossy (.203, quantization step 0.002) stays within mean 30 HU, max 300 HU`, async () => {
      const ref = await loadOnly(unc);
      const got = await loadOnly(await htj2kCopy(unc, HTJ2K, { lossless: false, quantizationStep: 0.002 }));
      const d = diffStats(ref.volume.hu, got.volume.hu, (v) => v === PADDING_HU);
      expect(d.max).toBeGreaterThan(0); // really lossy: the bound is not vacuous
      expect(d.mean).toBeLessThan(30);
      expect(d.max).toBeLessThan(300);
    });
  }
});

describe.skipIf(lidcMissing)('HTJ2K on LIDC-IDRI-0001 slices', () => {
  it('three slices re-encoded lossless (.201) equal the original series slab bit-exactly', async () => {
    const { seriesDir } = lidcStudy('0001');
    const files = readdirSync(seriesDir)
      .filter((f) => f.endsWith('.dcm'))
      .sort()
      .slice(60, 63)
      .map((f) => join(seriesDir, f));
    const ref = await loadOnly(...files);
    const got = await loadOnly(
      ...(await Promise.all(files.map((f) => htj2kCopy(f, HTJ2K_LOSSLESS, { lossless: true })))),
    );
    expect(got.volume.dims).toEqual(ref.volume.dims);
    expect(got.skipped).toEqual([]);
    expect(diffStats(ref.volume.hu, got.volume.hu).max).toBe(0);
  });

  it('a truncated HTJ2K stream is a named decode failure, not a crash', async () => {
    const { seriesDir } = lidcStudy('0001');
    const src = join(
      seriesDir,
      readdirSync(seriesDir)
        .filter((f) => f.endsWith('.dcm'))
        .sort()[0]!,
    );
    const file = new Uint8Array(readFileSync(src));
    const stream = await encodeHtj2k(nativePixels(file), { lossless: true });
    const out = join(dir, 'truncated-htj2k.dcm');
    writeFileSync(out, withEncapsulatedFrame(file, HTJ2K_LOSSLESS, stream.subarray(0, 200)));
    await expect(loadOnly(out)).rejects.toThrow(/truncated.*no EOC marker/);
  });
});
