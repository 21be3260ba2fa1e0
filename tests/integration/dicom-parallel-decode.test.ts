/**
 * The decode workers (uncompressed frames read straight into one shared volume, converted in
 * place) give exactly the volume the one-thread path gives: on LIDC-IDRI-0001/0002, on a series
 * that mixes compressed WG04 slices (decoded on the calling thread) with uncompressed ones, and
 * when a file in the middle of the series is broken or gone after the scan; and reading a stored
 * series from the vault, each worker deciphering objects with their own keys (big-endian slices
 * included: each deciphered slice is byte-swapped before it is converted).
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSeries, scanDicomInputs, type LoadedSeries } from '../../src/core/dicom';
import { PADDING_HU } from '../../src/core/dicom/stored-to-hu';
import { setNativeGcm } from '../../src/core/vault/native-gcm';
import { createVault, vaultFileSource } from '../../src/core/vault';
import { lidcStudy, missingData, sharedPath } from '../support/shared-data';

const work = mkdtempSync(join(tmpdir(), 'plv-parallel-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function expectSameVolume(parallel: LoadedSeries, single: LoadedSeries): void {
  expect(parallel.volume.hu.buffer).toBeInstanceOf(SharedArrayBuffer);
  expect(single.volume.hu.buffer).toBeInstanceOf(ArrayBuffer);
  expect(parallel.volume.dims).toEqual(single.volume.dims);
  expect(Buffer.from(parallel.volume.hu.buffer).equals(Buffer.from(single.volume.hu.buffer))).toBe(true);
  expect([parallel.huMin, parallel.huMax, parallel.huMean]).toEqual([
    single.huMin,
    single.huMax,
    single.huMean,
  ]);
  const bySlot = (s: LoadedSeries) => [...s.skipped].sort((a, b) => a.path.localeCompare(b.path));
  expect(bySlot(parallel)).toEqual(bySlot(single));
  expect(parallel.series.warnings).toEqual(single.series.warnings);
}

describe('decode workers', () => {
  for (const id of ['0001', '0002'] as const) {
    it.skipIf(missingData(`ct/LIDC-IDRI-${id}.tar.xz`))(
      `LIDC-IDRI-${id}: the same volume, bit for bit, as one thread`,
      async () => {
        const scan = await scanDicomInputs([lidcStudy(id).seriesDir]);
        const s = scan.series[0]!;
        const progress: number[] = [];
        const parallel = await loadSeries(s, { workers: 2, onProgress: (p) => progress.push(p.done) });
        const single = await loadSeries(s, { workers: 0 });
        expectSameVolume(parallel, single);
        expect(parallel.skipped).toEqual([]);
        expect(progress.length).toBe(s.frames.length);
        expect(progress[progress.length - 1]).toBe(s.frames.length);
      },
    );
  }

  it.skipIf(missingData('dicom/wg04-ct/CT1_UNC', 'dicom/wg04-ct/CT1_JPLL'))(
    'a series mixing compressed WG04 slices with uncompressed ones decodes identically',
    async () => {
      // Twelve slices of WG04 CT1 one millimetre apart; slices 3 and 7 are the JPEG Lossless file.
      const dir = join(work, 'wg04-mixed');
      execFileSync('mkdir', ['-p', dir]);
      for (let k = 0; k < 12; k++) {
        const compressed = k === 3 || k === 7;
        const f = join(dir, `s${k}.dcm`);
        copyFileSync(sharedPath('dicom', 'wg04-ct', compressed ? 'CT1_JPLL' : 'CT1_UNC'), f);
        execFileSync('dcmodify', [
          '-nb',
          '-m',
          `(0020,0032)=-158.135803\\-179.035797\\${(-75.7 + k).toFixed(6)}`,
          '-m',
          `(0008,0018)=1.2.826.0.1.3680043.10.1234.${k + 1}`,
          f,
        ]);
      }
      const scan = await scanDicomInputs([dir]);
      expect(scan.series).toHaveLength(1);
      const s = scan.series[0]!;
      expect(s.transferSyntaxes).toContain('1.2.840.10008.1.2.4.70');
      expect(s.frames.filter((f) => !f.direct).map((f) => f.slot)).toEqual([3, 7]);
      const parallel = await loadSeries(s, { workers: 2 });
      const single = await loadSeries(s, { workers: 0 });
      expectSameVolume(parallel, single);
      // The JPEG Lossless slices hold exactly the uncompressed file's values.
      const slice = 512 * 512;
      const hu = parallel.volume.hu;
      expect(Buffer.from(hu.subarray(3 * slice, 4 * slice)).equals(Buffer.from(hu.subarray(0, slice)))).toBe(
        true,
      );
      expect(Buffer.from(hu.subarray(7 * slice, 8 * slice)).equals(Buffer.from(hu.subarray(0, slice)))).toBe(
        true,
      );
    },
  );

  it.skipIf(missingData('ct/LIDC-IDRI-0001.tar.xz'))(
    'a file truncated or removed mid-series after the scan: a typed error naming it, air in its slot, the rest intact',
    async () => {
      const src = lidcStudy('0001').seriesDir;
      const dir = join(work, 'lidc-broken');
      execFileSync('mkdir', ['-p', dir]);
      for (const f of readdirSync(src)) copyFileSync(join(src, f), join(dir, f));
      const scan = await scanDicomInputs([dir]);
      const s = scan.series[0]!;
      const intact = await loadSeries(s, { workers: 0 });
      const mid = Math.floor(s.frames.length / 2);
      const truncated = s.frames[mid]!;
      const removed = s.frames[mid + 10]!;
      truncateSync(truncated.path, truncated.direct!.offset + 1000);
      unlinkSync(removed.path);

      const parallel = await loadSeries(s, { workers: 2 });
      const single = await loadSeries(s, { workers: 0 });
      expectSameVolume(parallel, single);
      const skipped = new Map(parallel.skipped.map((x) => [x.path, x]));
      expect(skipped.size).toBe(2);
      expect(skipped.get(truncated.path)).toMatchObject({
        code: 'DICOM_PIXEL_ATTRIBUTES',
        reason: expect.stringMatching(/file ends after 1000 of \d+ pixel bytes/),
      });
      expect(skipped.get(removed.path)).toMatchObject({
        code: 'DICOM_MALFORMED',
        reason: expect.stringContaining('ENOENT'),
      });
      expect(parallel.series.warnings).toContain(
        '2 file(s) could not be decoded; their slices are shown as air',
      );
      const slice = s.rows * s.columns;
      const hu = parallel.volume.hu;
      for (const f of s.frames) {
        const got = hu.subarray(f.slot * slice, (f.slot + 1) * slice);
        if (f === truncated || f === removed) expect(got.every((v) => v === PADDING_HU)).toBe(true);
        else
          expect(
            Buffer.from(got).equals(
              Buffer.from(intact.volume.hu.subarray(f.slot * slice, (f.slot + 1) * slice)),
            ),
          ).toBe(true);
      }
    },
  );

  it.skipIf(missingData('ct/LIDC-IDRI-0001.tar.xz'))(
    'cancelling stops the workers’ load with CANCELLED',
    async () => {
      const scan = await scanDicomInputs([lidcStudy('0001').seriesDir]);
      const ctrl = new AbortController();
      const load = loadSeries(scan.series[0]!, {
        workers: 2,
        signal: ctrl.signal,
        onProgress: (p) => {
          if (p.done === 10) ctrl.abort();
        },
      });
      await expect(load).rejects.toMatchObject({ code: 'CANCELLED' });
    },
  );
});

describe.skipIf(missingData('ct/LIDC-IDRI-0001.tar.xz'))('decode workers reading the vault', () => {
  it('decipher each object straight into the volume: the same volume as one thread and as the plain files; a damaged object stops the load naming it', async () => {
    const scan = await scanDicomInputs([lidcStudy('0001').seriesDir]);
    const plain = await loadSeries(scan.series[0]!, { workers: 0 });
    const v = await createVault(join(work, 'vault'), 'pw', {
      kdf: { memoryKiB: 256, iterations: 1, parallelism: 1 },
      allowWeakKdf: true,
      idleLockMs: 0,
      chunkBytes: 64 * 1024,
    });
    const { seriesRef } = await v.importSeries(scan.series[0]!);
    const stored = v.getSeries(seriesRef).scanned;
    const parallel = await loadSeries(stored, { source: vaultFileSource(v), workers: 2 });
    const single = await loadSeries(stored, { source: vaultFileSource(v), workers: 0 });
    expectSameVolume(parallel, single);
    expect(Buffer.from(parallel.volume.hu.buffer).equals(Buffer.from(plain.volume.hu.buffer))).toBe(true);
    // Node's decipher (no native addon, in the workers too) gives the very same volume.
    setNativeGcm(false);
    try {
      expectSameVolume(await loadSeries(stored, { source: vaultFileSource(v), workers: 2 }), single);
    } finally {
      setNativeGcm(true);
    }

    // One flipped byte inside the pixel data of a slice in the middle.
    const victim = stored.frames[Math.floor(stored.frames.length / 2)]!;
    const id = victim.path.slice('vault:'.length);
    const file = join(work, 'vault', 'objects', `${id}.plo`);
    const original = readFileSync(file);
    const bytes = Buffer.from(original);
    bytes[bytes.length - 5000]! ^= 0x01;
    writeFileSync(file, bytes);
    for (const native of [true, false]) {
      setNativeGcm(native);
      try {
        await expect(loadSeries(stored, { source: vaultFileSource(v), workers: 2 })).rejects.toMatchObject({
          code: 'VAULT_CORRUPT',
          path: file,
          message: expect.stringMatching(new RegExp(`object ${id} chunk \\d+: authentication failed`)),
        });
      } finally {
        setNativeGcm(true);
      }
    }
    // Cut short instead: refused before anything is deciphered.
    writeFileSync(file, original.subarray(0, original.length - 100));
    await expect(loadSeries(stored, { source: vaultFileSource(v), workers: 2 })).rejects.toMatchObject({
      code: 'VAULT_CORRUPT',
      path: file,
      message: expect.stringContaining(`object ${id}: file is ${original.length - 100} bytes`),
    });
    await v.lock();
    await expect(loadSeries(stored, { source: vaultFileSource(v), workers: 2 })).rejects.toMatchObject({
      code: 'VAULT_LOCKED',
    });
  });

  it('explicit VR big endian slices (rewritten by dcmtk) give the little-endian volume from the vault too', async () => {
    const src = join(work, 'le');
    const be = join(work, 'be');
    for (const d of [src, be]) mkdirSync(d, { recursive: true });
    const names = readdirSync(lidcStudy('0001').seriesDir)
      .filter((f) => f.endsWith('.dcm'))
      .sort()
      .slice(0, 12);
    for (const f of names) {
      copyFileSync(join(lidcStudy('0001').seriesDir, f), join(src, f));
      execFileSync('dcmconv', ['+tb', join(src, f), join(be, f)]);
    }
    const plain = await loadSeries((await scanDicomInputs([src])).series[0]!, { workers: 0 });
    const scanBe = (await scanDicomInputs([be])).series[0]!;
    expect(scanBe.transferSyntaxes).toEqual(['1.2.840.10008.1.2.2']);
    expect(scanBe.frames.every((f) => f.direct && !f.direct.littleEndian)).toBe(true);
    const v = await createVault(join(work, 'vault-be'), 'pw', {
      kdf: { memoryKiB: 256, iterations: 1, parallelism: 1 },
      allowWeakKdf: true,
      idleLockMs: 0,
      chunkBytes: 64 * 1024,
    });
    const stored = v.getSeries((await v.importSeries(scanBe)).seriesRef).scanned;
    const fromVault = await loadSeries(stored, { source: vaultFileSource(v), workers: 2 });
    expect(fromVault.skipped).toEqual([]);
    expect(Buffer.from(fromVault.volume.hu.buffer).equals(Buffer.from(plain.volume.hu.buffer))).toBe(true);
    expect([fromVault.huMin, fromVault.huMax, fromVault.huMean]).toEqual([
      plain.huMin,
      plain.huMax,
      plain.huMean,
    ]);
    await v.lock();
  });
});
