/**
 * The blob stage (stage 1a) on every core. The octaves of the blob detector are cut into z slabs
 * with a halo of their blur chain (blobSlab), so the slabs give exactly the blobs of the whole
 * octave; one share of slabs per core, the calling thread runs the first share and blob workers
 * (./blob-worker) the others, all reading one shared copy of the scan. The joined lists are the
 * one-thread detectBlobs result, blob for blob and in the same order. The workers live for one
 * stage (started ahead of it by warmBlobWorkers).
 */
import type { Vec3, Volume } from '../../common/volume';
import { defaultWorkerCount, spawnEntry, WorkerPool } from '../workers/worker-pool';
import type { BlobReply, BlobSlabSpec, RecentreReply, WorkerJob, WorkerReply } from './blob-protocol';
import { cubeValues, extractCandidateCubes, type CubeChannel } from './cubes';
import { recentreCandidate, type RecentreMask } from './recentre';
import {
  blobSlab,
  mergeBlobs,
  planBlobs,
  type BlobCandidate,
  type BlobOptions,
  type BlobPlan,
  type GridMask,
} from './blobs';

let configuredEntry: string | null = null;

/** A bundled app passes the built worker entry here; from sources it is found next to this module. */
export function configureBlobWorkers(opts: { entry: string | null }): void {
  configuredEntry = opts.entry;
}

type Job = WorkerJob extends infer J ? (J extends WorkerJob ? Omit<J, 'id'> : never) : never;
const blobPool = new WorkerPool<Job, WorkerReply>(() =>
  spawnEntry(configuredEntry, 'blob-worker', import.meta.url),
);

/** Starts the blob workers a run on `threads` cores will use, ahead of it (e.g. before the lung mask). */
export function warmBlobWorkers(threads: number = defaultWorkerCount()): void {
  if (threads > 1) blobPool.warm(threads - 1);
}

/** Blob jobs of this thread's workers still running (0 once a run has returned or thrown). */
export function blobWorkersBusy(): number {
  return blobPool.busy;
}

/** Stops the idle blob workers of this thread (end of a test file, a worker's exit). */
export function shutdownBlobWorkers(): Promise<void> {
  return blobPool.close();
}

export interface BlobStageOptions extends BlobOptions {
  /** Shares the stage is cut into: one per core by default; 1 runs it in the calling thread alone. */
  threads?: number;
  /** Blur passes done of all, as they finish. */
  onProgress?: (done: number, total: number) => void;
}

/** detectBlobs on `threads` cores: the same blobs in the same order. */
export async function detectBlobsOnCores(
  volume: Pick<Volume, 'hu' | 'dims' | 'spacingMm'>,
  lung: GridMask,
  opts: BlobStageOptions = {},
): Promise<BlobCandidate[]> {
  const plan = planBlobs(volume, lung, opts);
  if (!plan) return [];
  const shares = splitBlobPlan(plan, Math.max(1, Math.floor(opts.threads ?? defaultWorkerCount())));
  const check = opts.checkCancelled ?? (() => undefined);
  // [cancel flag, blur passes done]
  const shared = new Int32Array(new SharedArrayBuffer(8));
  const total = shares.flat().reduce((n, s) => n + s.octave.blurs, 0);
  let reported = -1;
  const report = () => {
    const done = Atomics.load(shared, 1);
    if (done !== reported) opts.onProgress?.(done, total);
    reported = done;
  };
  report();
  const hu = shares.length > 1 ? inSharedMemory(volume.hu) : volume.hu;
  const source = { hu, dims: volume.dims };
  const runHere = (share: BlobSlabSpec[]) =>
    share.map((s) =>
      blobSlab(source, lung, s.octave, plan.limits, s.z0, s.z1, check, () => {
        Atomics.add(shared, 1, 1);
        report();
      }),
    );

  // The helpers start first, so they work while this thread runs its own share. A helper that
  // could not start or died leaves its share to this thread (null).
  const helpers = shares.slice(1).map((share) =>
    blobPool
      .run(shares.length - 1, {
        kind: 'blobs',
        hu,
        dims: volume.dims,
        lung: { mask: lung.mask, dims: lung.dims, step: lung.step },
        limits: plan.limits,
        slabs: share,
        shared: shared.buffer as SharedArrayBuffer,
      })
      .then(
        (r) => (r.ok ? (r as Extract<BlobReply, { ok: true }>).found : null),
        () => null,
      ),
  );
  let found: BlobCandidate[][][][];
  try {
    const own = runHere(shares[0]!);
    const theirs = await awaitChecking(Promise.all(helpers), () => {
      check();
      report();
    });
    // The helpers end with the stage: an idle worker never collects its slab buffers (hundreds of
    // MB on a thin-slice scan), and the next analysis starts new ones during its lung mask.
    if (helpers.length > 0) await blobPool.close();
    found = [own, ...theirs.map((f, i) => f ?? runHere(shares[i + 1]!))];
  } catch (e) {
    // Cancelled (or failed) here: the helpers stop at their next plane; none is left running.
    Atomics.store(shared, 0, 1);
    await Promise.allSettled(helpers);
    await blobPool.close();
    throw e;
  }
  report();

  // Back into detectBlobs' order: octave by octave, level by level, slabs bottom to top.
  const bySlab = new Map<BlobSlabSpec, BlobCandidate[][]>();
  shares.forEach((share, i) => share.forEach((s, j) => bySlab.set(s, found[i]![j]!)));
  const slabs = shares.flat();
  const all: BlobCandidate[] = [];
  for (const o of plan.octaves) {
    const mine = slabs.filter((s) => s.octave === o).sort((a, b) => a.z0 - b.z0);
    for (let li = 0; li < o.levels.length; li++)
      for (const s of mine) for (const b of bySlab.get(s)![li]!) all.push(b);
  }
  return mergeBlobs(all, volume.spacingMm);
}

type Dealt<T> = { item: T; index: number }[];

/**
 * `here` for every item, the items dealt out in turn to `n` shares: the calling thread runs the
 * first, the blob workers the others (`job` builds a share's message, `read` its results, null for
 * a failed one). A helper that could not start or died leaves its share to this thread; results
 * come back in the items' order. Cancelled: the helpers stop at their next item and are ended.
 */
async function dealOnCores<T, R>(
  items: readonly T[],
  n: number,
  check: () => void,
  here: (item: T, index: number) => R,
  job: (share: Dealt<T>, shared: SharedArrayBuffer) => Job,
  read: (reply: WorkerReply, share: Dealt<T>) => R[] | null,
): Promise<R[]> {
  const shares: Dealt<T>[] = Array.from({ length: n }, () => []);
  items.forEach((item, index) => shares[index % n]!.push({ item, index }));
  const runHere = (share: Dealt<T>) =>
    share.map(({ item, index }) => {
      check();
      return here(item, index);
    });
  if (n === 1) return runHere(shares[0]!);
  const shared = new Int32Array(new SharedArrayBuffer(4));
  const helpers = shares.slice(1).map((share) =>
    blobPool.run(n - 1, job(share, shared.buffer as SharedArrayBuffer)).then(
      (r) => read(r, share),
      () => null,
    ),
  );
  let done: R[][];
  try {
    const own = runHere(shares[0]!);
    const theirs = await awaitChecking(Promise.all(helpers), check);
    // The workers stay for the next job (small, unlike the blob stage's slabs); the analysis
    // ends them with shutdownBlobWorkers.
    done = [own, ...theirs.map((r, i) => r ?? runHere(shares[i + 1]!))];
  } catch (e) {
    Atomics.store(shared, 0, 1);
    await Promise.allSettled(helpers);
    await blobPool.close();
    throw e;
  }
  return items.map((_, i) => done[i % n]![Math.floor(i / n)]!);
}

const sharesFor = (threads: number | undefined, count: number, perShare: number) =>
  Math.max(1, Math.min(Math.floor(threads ?? defaultWorkerCount()), Math.ceil(count / perShare)));

/**
 * recentreCandidate for every item, on `threads` cores (the calling thread and blob workers,
 * which warmBlobWorkers can start ahead): the same centres, in the same order. Items are dealt
 * out in turn, so each share holds small and large candidates alike.
 */
export async function recentreOnCores(
  volume: Pick<Volume, 'hu' | 'dims' | 'spacingMm'>,
  mask: RecentreMask | null,
  items: readonly { centre: Vec3; scaleMm: number }[],
  opts: { threads?: number; checkCancelled?: () => void } = {},
): Promise<Vec3[]> {
  const n = sharesFor(opts.threads, items.length, 32);
  const hu = n > 1 ? inSharedMemory(volume.hu) : volume.hu;
  return dealOnCores(
    items,
    n,
    opts.checkCancelled ?? (() => undefined),
    (c) => recentreCandidate(volume, mask, c.centre, c.scaleMm),
    (share, shared) => ({
      kind: 'recentre',
      hu,
      dims: volume.dims,
      spacingMm: volume.spacingMm,
      mask,
      items: share.map(({ item }) => ({ centre: item.centre, scaleMm: item.scaleMm })),
      shared,
    }),
    (r) => (r.ok ? (r as Extract<RecentreReply, { ok: true }>).centres : null),
  );
}

/**
 * The characterizer cubes of `centres` into `out` (candidate i at i x values per candidate), on
 * `threads` cores: the calling thread and the blob workers, each candidate's cubes by the same
 * extractCandidateCubes, so the same values wherever they were made. `out` must live in shared
 * memory when threads > 1.
 */
export async function extractCubesOnCores(
  volume: Pick<Volume, 'hu' | 'dims' | 'spacingMm'>,
  centres: readonly Vec3[],
  inputs: readonly CubeChannel[],
  huWindow: readonly [number, number],
  out: Float32Array,
  opts: { threads?: number; checkCancelled?: () => void } = {},
): Promise<void> {
  const per = cubeValues(inputs);
  const n =
    out.buffer instanceof SharedArrayBuffer && out.byteOffset === 0
      ? sharesFor(opts.threads, centres.length, 8)
      : 1;
  const hu = n > 1 ? inSharedMemory(volume.hu) : volume.hu;
  await dealOnCores(
    centres,
    n,
    opts.checkCancelled ?? (() => undefined),
    (centre, i) => extractCandidateCubes(volume, centre, inputs, huWindow, out, i * per),
    (share, shared) => ({
      kind: 'cubes',
      hu,
      dims: volume.dims,
      spacingMm: volume.spacingMm,
      inputs: inputs.map((c) => ({ cubeSize: c.cubeSize, spacingMm: c.spacingMm })),
      huWindow: [huWindow[0], huWindow[1]],
      items: share.map(({ item, index }) => ({ centre: item, slot: index })),
      out: out.buffer as SharedArrayBuffer,
      shared,
    }),
    (r, share) => (r.ok ? share.map(() => undefined) : null),
  );
}

/**
 * Cuts the octaves into `n` shares of about equal work (voxels x work per voxel), coarsest octave
 * first: its halo is widest, so it is better kept whole in one share than cut.
 */
export function splitBlobPlan(plan: BlobPlan, n: number): BlobSlabSpec[][] {
  const octaves = [...plan.octaves].reverse();
  const perPlane = (o: (typeof octaves)[number]) => o.dims[0] * o.dims[1] * o.workPerVoxel;
  const total = octaves.reduce((sum, o) => sum + perPlane(o) * o.dims[2], 0);
  const target = total / n;
  const shares: BlobSlabSpec[][] = [];
  let current: BlobSlabSpec[] = [];
  let work = 0;
  for (const o of octaves) {
    const nz = o.dims[2];
    for (let z = 0; z < nz;) {
      const last = shares.length === n - 1;
      const fit = last ? nz - z : Math.round((target - work) / perPlane(o));
      if (fit <= 0 && current.length > 0) {
        shares.push(current);
        current = [];
        work = 0;
        continue;
      }
      const take = Math.min(nz - z, Math.max(1, fit));
      current.push({ octave: o, z0: z, z1: z + take });
      work += take * perPlane(o);
      z += take;
    }
  }
  if (current.length > 0) shares.push(current);
  return shares;
}

/**
 * The scan's HU in shared memory, so that every worker reads one copy: the same array when it is
 * shared already (a loaded series is), else a copy.
 */
export function inSharedMemory(hu: Int16Array): Int16Array {
  if (hu.buffer instanceof SharedArrayBuffer) return hu;
  const out = new Int16Array(new SharedArrayBuffer(hu.byteLength));
  out.set(hu);
  return out;
}

/** Awaits `p`, running `tick` every 50 ms meanwhile; a throw from `tick` rejects at once. */
async function awaitChecking<T>(p: Promise<T>, tick: () => void): Promise<T> {
  let timer: ReturnType<typeof setInterval> | undefined;
  const stopped = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      try {
        tick();
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    }, 50);
  });
  try {
    return await Promise.race([p, stopped]);
  } finally {
    clearInterval(timer);
  }
}
