/**
 * A stored study is decoded straight from the vault: the DICOM loader reads each frame's pixel
 * bytes through the vault (only the chunks that hold them are decrypted) and produces exactly the
 * volume a plain import produces. Small Argon2id costs: this test is about the data path.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bufferFileSource, loadSeries, scanDicomInputs } from '../../src/core/dicom';
import { createVault, vaultFileSource } from '../../src/core/vault';
import { lidcStudy, missingData } from '../support/shared-data';

const skip = missingData('ct/LIDC-IDRI-0001.tar.xz');
const work = mkdtempSync(join(tmpdir(), 'plv-decode-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(skip)('decoding a series from the vault', () => {
  it('gives the same HU volume as decoding the original files', async () => {
    const scan = await scanDicomInputs([lidcStudy('0001').seriesDir]);
    const plain = await loadSeries(scan.series[0]!);
    const v = await createVault(join(work, 'v'), 'pw', {
      kdf: { memoryKiB: 256, iterations: 1, parallelism: 1 },
      allowWeakKdf: true,
      idleLockMs: 0,
      chunkBytes: 64 * 1024,
    });
    const { seriesRef } = await v.importSeries(scan.series[0]!);
    const stored = v.getSeries(seriesRef).scanned;
    expect(stored.frames.every((f) => f.path.startsWith('vault:'))).toBe(true);
    const fromVault = await loadSeries(stored, { source: vaultFileSource(v) });
    expect(fromVault.skipped).toEqual([]);
    expect(fromVault.volume.dims).toEqual(plain.volume.dims);
    expect(Buffer.from(fromVault.volume.hu.buffer).equals(Buffer.from(plain.volume.hu.buffer))).toBe(true);
    // The app's path: objects decrypted by the key holder, decoded elsewhere from memory.
    const files = new Map<string, Uint8Array>();
    for (const f of stored.frames) files.set(f.path, new Uint8Array(await v.readInstance(f.path)));
    const fromMemory = await loadSeries(stored, { source: bufferFileSource(files) });
    expect(Buffer.from(fromMemory.volume.hu.buffer).equals(Buffer.from(plain.volume.hu.buffer))).toBe(true);
    await v.lock();
    await expect(loadSeries(stored, { source: vaultFileSource(v) })).rejects.toMatchObject({
      code: 'VAULT_LOCKED',
    });
  });
});
