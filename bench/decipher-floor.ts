/**
 * The floor under decoding from the vault: what Node's crypto API costs, apart from the DICOM
 * decode. On LIDC-IDRI-0002's bytes (137 MB), in one worker thread (a small heap, as in a decode
 * worker: V8's collection schedule, and so what `decipher.update()`'s fresh output buffers cost,
 * depends on the heap), it times:
 * - reading the plain files into a reused buffer (what the plain decode pays for its bytes);
 * - `decipher.update()` over the same bytes sealed in the vault's 1 MiB chunks, in 64 KiB slices,
 *   outputs discarded or wiped as the vault does, and with a minor GC every N MiB (so the freed
 *   outputs are reused while still in cache);
 * - allocating the 64 KiB outputs alone;
 * - a decode worker's whole per-frame path (decode-worker.ts) for the plain files and for the
 *   vault objects: read or decipher, convert to HU into a volume.
 * Cases run interleaved, and each reports its minimum over the passes: on a shared machine the
 * least disturbed pass. Wall time of the worker thread; CPU is the whole process's (this thread,
 * V8's helper threads) while the main thread waits.
 *
 * Caution, measured 2026-12-02 under load: the forced minor GCs that save 25-50% of the decipher
 * time here saved nothing in the real decode (`npm run bench -- vault`, 3 paired runs; `loadSeries`
 * with 1 and 2 decode workers, also with --no-parallel-scavenge), where each decode worker already
 * scavenges on its own about every 64 MB ("external memory pressure" in --trace-gc). A gain here
 * is a lead to check there, not a result.
 *
 *   node --import tsx bench/decipher-floor.ts [passes]
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { closeSync, openSync, readdirSync, readSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { isMainThread, parentPort } from 'node:worker_threads';
import { scanDicomInputs } from '../src/core/dicom';
import type { SlotRead } from '../src/core/dicom/decode-protocol';
import { HuHistogram, storedToHu } from '../src/core/dicom/stored-to-hu';
import type { DirectFrame } from '../src/core/dicom/types';
import { createVault, vaultFileSource } from '../src/core/vault';
import { readObjectRangeSync } from '../src/core/vault/object-file';
import { spawnEntry } from '../src/core/workers/worker-pool';
import { cacheDir, lidcStudy, missingData } from '../tests/support/shared-data';

const CHUNK = 1024 * 1024;
const SLICE = 64 * 1024;
const MiB = 1024 * 1024;

type VaultRead = Extract<SlotRead, { kind: 'vault-object' }>;

interface Job {
  files: string[];
  sliceVoxels: number;
  plainFrames: Array<{ path: string; direct: DirectFrame }>;
  vaultFrames: DirectFrame[];
  /** One set of object reads per timed call (each read's key is wiped once used). */
  vaultReads: VaultRead[][];
  passes: number;
}

interface Row {
  name: string;
  wall: number;
  cpu: number;
}

function runCases(job: Job): Row[] {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (o?: { type: 'minor' | 'major' }) => void;
  setFlagsFromString('--no-expose-gc');

  const { files, sliceVoxels, plainFrames, vaultFrames } = job;
  const total = files.reduce((s, f) => s + statSync(f).size, 0);
  // 137 MB deciphered as 8 sealed chunks over and over: a decode worker holds only a few sealed
  // objects at a time, and how much external memory stays alive moves V8's collection schedule.
  const key = randomBytes(32);
  const chunks = Math.ceil(total / CHUNK);
  const sealed: Array<{ nonce: Buffer; ct: Buffer; tag: Buffer }> = [];
  {
    const some = Buffer.alloc(8 * CHUNK);
    let at = 0;
    for (const f of files.slice(0, 20)) {
      const fd = openSync(f, 'r');
      at += readSync(fd, some, at, some.length - at, 0);
      closeSync(fd);
    }
    for (let off = 0; off < some.length; off += CHUNK) {
      const nonce = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, nonce);
      const ct = Buffer.concat([c.update(some.subarray(off, off + CHUNK)), c.final()]);
      sealed.push({ nonce, ct, tag: c.getAuthTag() });
    }
  }

  const reused = Buffer.alloc(Math.max(...files.map((f) => statSync(f).size)));
  const plainRead = () => {
    for (const f of files) {
      const fd = openSync(f, 'r');
      for (let got = 0, n = 1; n > 0 && got < reused.length; got += n)
        n = readSync(fd, reused, got, reused.length - got, got);
      closeSync(fd);
    }
  };

  /** Deciphers every chunk in `slice`-byte calls, with a minor GC every `gcEvery` bytes (0: none). */
  const decipher = (slice: number, wipe: boolean, gcEvery: number) => {
    let since = 0;
    for (let n = 0; n < chunks; n++) {
      const s = sealed[n % sealed.length]!;
      const d = createDecipheriv('aes-256-gcm', key, s.nonce);
      d.setAuthTag(s.tag);
      for (let pos = 0; pos < s.ct.length; pos += slice) {
        const pt = d.update(s.ct.subarray(pos, pos + slice));
        if (wipe) pt.fill(0);
        if (gcEvery && (since += pt.length) >= gcEvery) {
          gc({ type: 'minor' });
          since = 0;
        }
      }
      d.final();
    }
  };

  /** The 64 KiB outputs alone: Buffer.alloc is the zeroed allocation `update()` makes. */
  const allocOnly = (gcEvery: number) => {
    let since = 0;
    for (let n = 0; n < total; n += SLICE) {
      Buffer.alloc(SLICE)[0] = 1;
      if (gcEvery && (since += SLICE) >= gcEvery) {
        gc({ type: 'minor' });
        since = 0;
      }
    }
  };

  // A fresh volume per call, as every load gets: its pages are faulted in by the conversion.
  const volume = () => new Int16Array(new SharedArrayBuffer(vaultFrames.length * sliceVoxels * 2));
  const plainWorkerPath = () => {
    const hist = new HuHistogram();
    const hu = volume();
    plainFrames.forEach(({ path, direct: d }, i) => {
      const slot = new Uint8Array(hu.buffer, i * sliceVoxels * 2, d.length);
      const fd = openSync(path, 'r');
      for (let got = 0, n = 1; n > 0 && got < d.length; got += n)
        n = readSync(fd, slot, got, d.length - got, d.offset + got);
      closeSync(fd);
      storedToHu(new Uint16Array(slot.buffer, slot.byteOffset, d.length / 2), d, hu, i * sliceVoxels, hist);
    });
  };
  let nextReads = 0;
  const vaultWorkerPath = (gcEvery: number) => {
    const hist = new HuHistogram();
    const hu = volume();
    const reads = job.vaultReads[nextReads++]!;
    let since = 0;
    vaultFrames.forEach((d, i) => {
      const r = reads[i]!;
      const k = Buffer.from(r.key.buffer, r.key.byteOffset, r.key.length);
      readObjectRangeSync(r.file, r, k, r.size, d.offset, d.length, {
        into: (at, length) => new Uint8Array(hu.buffer, hu.byteOffset + i * sliceVoxels * 2 + at, length),
        piece: (piece, at) => {
          const px = new Uint16Array(piece.buffer, piece.byteOffset, piece.length / 2);
          storedToHu(px, d, hu, i * sliceVoxels + at / 2, hist);
          if (gcEvery && (since += piece.length) >= gcEvery) {
            gc({ type: 'minor' });
            since = 0;
          }
        },
      });
    });
  };

  const vaultReadOnly = () => {
    const reads = job.vaultReads[nextReads++]!;
    vaultFrames.forEach((d, i) => {
      const r = reads[i]!;
      const k = Buffer.from(r.key.buffer, r.key.byteOffset, r.key.length);
      readObjectRangeSync(r.file, r, k, r.size, d.offset, d.length, { piece: () => {} });
    });
  };
  const cases: Array<[string, () => void]> = [
    ['vault objects read and deciphered, nothing converted', vaultReadOnly],
    ['plain read into a reused buffer', plainRead],
    ['decipher 64 KiB slices, outputs discarded', () => decipher(SLICE, false, 0)],
    ['decipher 64 KiB slices, outputs wiped (as the vault)', () => decipher(SLICE, true, 0)],
    ['  + minor GC every 1 MiB', () => decipher(SLICE, true, 1 * MiB)],
    ['  + minor GC every 4 MiB', () => decipher(SLICE, true, 4 * MiB)],
    ['  + minor GC every 16 MiB', () => decipher(SLICE, true, 16 * MiB)],
    ['decipher 1 MiB slices, outputs wiped', () => decipher(CHUNK, true, 0)],
    ['allocate the 64 KiB outputs only', () => allocOnly(0)],
    ['  + minor GC every 1 MiB', () => allocOnly(1 * MiB)],
    ['decode worker path, plain files', plainWorkerPath],
    ['decode worker path, vault objects', () => vaultWorkerPath(0)],
    ['  + minor GC every 1 MiB', () => vaultWorkerPath(1 * MiB)],
    ['  + minor GC every 4 MiB', () => vaultWorkerPath(4 * MiB)],
    ['  + minor GC every 16 MiB', () => vaultWorkerPath(16 * MiB)],
  ];
  const rows: Row[] = cases.map(([name]) => ({ name, wall: Infinity, cpu: Infinity }));
  for (let p = 0; p <= job.passes; p++) {
    // Interleaved, so every case sees the same load; pass 0 warms up.
    for (const [i, [, fn]] of cases.entries()) {
      gc();
      const c = process.cpuUsage();
      const t = performance.now();
      fn();
      const wall = performance.now() - t;
      const u = process.cpuUsage(c);
      if (p === 0) continue;
      rows[i]!.wall = Math.min(rows[i]!.wall, wall);
      rows[i]!.cpu = Math.min(rows[i]!.cpu, (u.user + u.system) / 1000);
    }
  }
  return rows;
}

async function main(): Promise<void> {
  const passes = Number(process.argv[2] ?? 7);
  const skip = missingData('ct/LIDC-IDRI-0002.tar.xz');
  if (skip) {
    console.log(`skipped: ${skip}`);
    return;
  }
  const { seriesDir } = lidcStudy('0002');
  const files = readdirSync(seriesDir)
    .map((f) => join(seriesDir, f))
    .filter((f) => statSync(f).isFile() && f.endsWith('.dcm'));
  const scratch = join(cacheDir, `decipher-floor-${process.pid}`);
  const vault = await createVault(join(scratch, 'vault'), 'bench passphrase', { idleLockMs: 0 });
  try {
    const plain = (await scanDicomInputs([seriesDir])).series[0]!;
    const stored = vault.getSeries((await vault.importSeries(plain)).seriesRef).scanned;
    const source = vaultFileSource(vault);
    const vaultCalls = (passes + 1) * 5; // the vault-object cases below
    const job: Job = {
      files,
      sliceVoxels: plain.rows * plain.columns,
      plainFrames: plain.frames.map((f) => ({ path: f.path, direct: f.direct! })),
      vaultFrames: stored.frames.map((f) => f.direct!),
      vaultReads: Array.from({ length: vaultCalls }, () =>
        stored.frames.map((f) => source.slotRead!(f.path) as VaultRead),
      ),
      passes,
    };
    const worker = spawnEntry(null, 'decipher-floor', import.meta.url);
    const rows = await new Promise<Row[]>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.postMessage(job);
    });
    await worker.terminate();
    const mb = files.reduce((s, f) => s + statSync(f).size, 0) / 1e6;
    console.log(`${mb.toFixed(0)} MB in ${files.length} files; one worker thread; min of ${passes} passes\n`);
    console.log('| work | wall ms | CPU ms | MB/s |\n| --- | --- | --- | --- |');
    for (const r of rows)
      console.log(
        `| ${r.name} | ${r.wall.toFixed(1)} | ${r.cpu.toFixed(1)} | ${((mb * 1000) / r.wall).toFixed(0)} |`,
      );
  } finally {
    await vault.lock();
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (isMainThread) await main();
else parentPort!.once('message', (job: Job) => parentPort!.postMessage(runCases(job)));
