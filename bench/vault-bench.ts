/**
 * Vault cost: AES-256-GCM throughput next to plain handling of the same bytes, and importing
 * LIDC-IDRI-0002 into the vault next to plain imports. Wall time and CPU time (user + sys of this
 * process, which includes libuv's I/O threads) are both reported: on a shared machine wall time
 * swings with other load while CPU time shows the work the vault adds. Scratch data lives in the
 * git-ignored .cache/ and is removed afterwards.
 */
import { promises as fsp, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadSeries, scanDicomInputs } from '../src/core/dicom';
import { createVault, vaultFileSource } from '../src/core/vault';
import { aad, open, randomKey, seal } from '../src/core/vault/crypto';
import { nativeGcmStatus, setNativeGcm } from '../src/core/vault/native-gcm';
import { cacheDir, lidcStudy, missingData } from '../tests/support/shared-data';
import { median, type BenchResult } from './bench-util';

const RUNS = 9;
const CHUNK = 1024 * 1024;

interface Cost {
  wall: number;
  cpu: number;
}

async function measure(fn: () => Promise<unknown>): Promise<Cost> {
  const c = process.cpuUsage();
  const t = performance.now();
  await fn();
  const d = process.cpuUsage(c);
  return { wall: (performance.now() - t) / 1000, cpu: (d.user + d.system) / 1e6 };
}

function med(xs: Cost[]): Cost {
  return { wall: median(xs.map((x) => x.wall)), cpu: median(xs.map((x) => x.cpu)) };
}

/**
 * Runs `plain` and `vault` alternately (so both see the same machine load) after one warm-up;
 * `after*` clean up outside the timing.
 */
async function pair(
  plain: () => Promise<unknown>,
  vault: () => Promise<unknown>,
  after: { plain?: () => Promise<unknown>; vault?: () => Promise<unknown> } = {},
): Promise<Paired> {
  const p: Cost[] = [];
  const v: Cost[] = [];
  for (let i = -1; i < RUNS; i++) {
    const a = await measure(plain);
    await after.plain?.();
    const b = await measure(vault);
    await after.vault?.();
    if (i >= 0) {
      p.push(a);
      v.push(b);
    }
  }
  // The overhead is the median of each pair's own ratio: a pair runs back to back, so a slow
  // spell of the machine (other load, memory faulted in afresh) lands on both of its halves.
  const ratio = (k: keyof Cost) => median(p.map((x, i) => v[i]![k] / x[k]));
  return { plain: med(p), vault: med(v), wallRatio: ratio('wall'), cpuRatio: ratio('cpu') };
}

interface Paired {
  plain: Cost;
  vault: Cost;
  /** median over the pairs of vault / plain */
  wallRatio: number;
  cpuRatio: number;
}

async function syncFile(path: string): Promise<void> {
  const fh = await fsp.open(path, 'r');
  await fh.sync();
  await fh.close();
}

/**
 * Storing a series without encryption, as durably as the vault does: fsync per file and folder,
 * 4 files at a time. `viaUserSpace` reads and writes each file through a buffer (as the vault
 * must, to encrypt); otherwise the kernel copies (copy_file_range).
 */
async function plainCopy(files: string[], outDir: string, viaUserSpace = false): Promise<void> {
  await fsp.mkdir(outDir, { recursive: true });
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      const target = join(outDir, `${i}.dcm`);
      if (viaUserSpace) {
        const fh = await fsp.open(target, 'wx');
        await fh.write(await fsp.readFile(files[i]!));
        await fh.sync();
        await fh.close();
      } else {
        await fsp.copyFile(files[i]!, target);
        await syncFile(target);
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  await syncFile(outDir);
}

export async function benchVault(): Promise<BenchResult> {
  const skip = missingData('ct/LIDC-IDRI-0002.tar.xz');
  if (skip) return { title: 'Vault', rows: [], note: `skipped: ${skip}` };
  const { seriesDir } = lidcStudy('0002');
  const files = readdirSync(seriesDir)
    .map((f) => join(seriesDir, f))
    .filter((f) => statSync(f).isFile() && f.endsWith('.dcm'));
  const bytes = Buffer.concat(files.map((f) => readFileSync(f)));
  const mb = bytes.length / 1e6;
  const scratch = join(cacheDir, `vault-bench-${process.pid}`);
  rmSync(scratch, { recursive: true, force: true });
  const rows: BenchResult['rows'] = [];
  const pctOf = (ratio: number) => `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(0)}%`;
  const throughputRow = (work: string, r: Paired) =>
    rows.push({
      work,
      plain: `${(mb / r.plain.wall).toFixed(0)} MB/s`,
      vault: `${(mb / r.vault.wall).toFixed(0)} MB/s`,
      'wall overhead': pctOf(r.wallRatio),
      'CPU plain / vault': `${r.plain.cpu.toFixed(2)} / ${r.vault.cpu.toFixed(2)} s`,
      'CPU overhead': pctOf(r.cpuRatio),
    });
  const timeRow = (work: string, r: Paired) =>
    rows.push({
      work,
      plain: `${r.plain.wall.toFixed(3)} s`,
      vault: `${r.vault.wall.toFixed(3)} s`,
      'wall overhead': pctOf(r.wallRatio),
      'CPU plain / vault': `${r.plain.cpu.toFixed(2)} / ${r.vault.cpu.toFixed(2)} s`,
      'CPU overhead': pctOf(r.cpuRatio),
    });

  try {
    // 1. AES-256-GCM alone, in memory, in the vault's 1 MiB chunks, next to a memory copy.
    const key = randomKey();
    const ad = aad('bench', 0);
    const sealed: Buffer[] = [];
    const copyBytes = async () => {
      for (let off = 0; off < bytes.length; off += CHUNK) Buffer.from(bytes.subarray(off, off + CHUNK));
    };
    throughputRow(
      'in memory: copy vs AES-256-GCM encrypt',
      await pair(copyBytes, async () => {
        sealed.length = 0;
        for (let off = 0; off < bytes.length; off += CHUNK)
          sealed.push(seal(key, bytes.subarray(off, off + CHUNK), ad));
      }),
    );
    throughputRow(
      'in memory: copy vs AES-256-GCM decrypt + verify',
      await pair(copyBytes, async () => {
        for (const s of sealed) open(key, s, ad);
      }),
    );

    // 2. The same bytes as one file: durable plain write/read vs one vault object.
    const v = await createVault(join(scratch, 'vault'), 'bench passphrase', { idleLockMs: 0 });
    const plainFile = join(scratch, 'plain.bin');
    let objectId = '';
    throughputRow(
      `write ${mb.toFixed(0)} MB + fsync: plain file vs vault object`,
      await pair(
        async () => {
          await fsp.writeFile(plainFile, bytes);
          await syncFile(plainFile);
        },
        async () => (objectId = (await v.putObject(null, 'other', bytes)).id),
        { vault: async () => v.listObjects().length > 1 && v.deleteObject(v.listObjects()[0]!.id) },
      ),
    );
    throughputRow(
      'read (page cache warm): plain file vs vault object',
      await pair(
        () => fsp.readFile(plainFile),
        () => v.getObject(objectId),
      ),
    );
    await v.deleteObject(objectId);

    // 3. Import LIDC-IDRI-0002.
    const copyDir = join(scratch, 'plain-import');
    let studyRef = '';
    const scanAndStore = (viaUserSpace: boolean) =>
      pair(
        async () => {
          const scan = await scanDicomInputs([seriesDir]);
          await plainCopy([...new Set(scan.series[0]!.frames.map((f) => f.path))], copyDir, viaUserSpace);
        },
        async () => {
          const scan = await scanDicomInputs([seriesDir]);
          studyRef = (await v.importSeries(scan.series[0]!)).studyRef;
        },
        {
          plain: () => fsp.rm(copyDir, { recursive: true, force: true }),
          vault: () => v.deleteStudy(studyRef),
        },
      );
    const store = await scanAndStore(false);
    timeRow(`import ${files.length} files: scan + durable kernel copy vs scan + vault import`, store);
    const storeRw = await scanAndStore(true);
    timeRow(`import ${files.length} files: scan + durable read/write copy vs scan + vault import`, storeRw);
    const decode = await pair(
      async () => {
        const scan = await scanDicomInputs([seriesDir]);
        await loadSeries(scan.series[0]!);
      },
      async () => {
        const scan = await scanDicomInputs([seriesDir]);
        studyRef = (await v.importSeries(scan.series[0]!)).studyRef;
        await loadSeries(scan.series[0]!);
      },
      { vault: () => v.deleteStudy(studyRef) },
    );
    timeRow('import to HU volume: scan + decode vs scan + vault import + decode', decode);
    // Opening a stored study: decode the plain files vs decode straight from the vault objects.
    const kept = await v.importSeries((await scanDicomInputs([seriesDir])).series[0]!);
    const stored = v.getSeries(kept.seriesRef).scanned;
    const plainScan = (await scanDicomInputs([seriesDir])).series[0]!;
    const fromVault = await pair(
      () => loadSeries(plainScan),
      () => loadSeries(stored, { source: vaultFileSource(v) }),
    );
    timeRow(`decode ${files.length} files to HU volume: plain files vs vault objects`, fromVault);
    // The same with the vault deciphering through Node's crypto (the addon turned off, in the
    // decode workers too): what the native decipher saves, in the same run.
    const native = nativeGcmStatus();
    setNativeGcm(false);
    const viaNode = await pair(
      () => loadSeries(plainScan),
      () => loadSeries(stored, { source: vaultFileSource(v) }),
    );
    setNativeGcm(true);
    if (native.native) {
      timeRow(`decode ${files.length} files: plain files vs vault objects with Node's decipher`, viaNode);
    }
    await v.deleteStudy(kept.studyRef);
    await v.lock();
    return {
      title: `Vault: AES-256-GCM on ${mb.toFixed(0)} MB of LIDC-IDRI-0002 (median of ${RUNS}, plain and vault alternating)`,
      rows,
      note:
        `targets: vault import and vault decode <= +20% over plain. Vault decipher: ` +
        (native.native ? `native (${native.path}). ` : `Node's crypto (${native.why}). `) +
        `Decode from the vault: ` +
        `wall ${pctOf(fromVault.wallRatio)}, CPU ${pctOf(fromVault.cpuRatio)}. ` +
        `Import against a durable read/write copy: ` +
        `wall ${pctOf(storeRw.wallRatio)}, CPU ${pctOf(storeRw.cpuRatio)}; ` +
        `against a kernel copy (copy_file_range, no user-space pass over the data): ` +
        `wall ${pctOf(store.wallRatio)}, CPU ${pctOf(store.cpuRatio)}.`,
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
