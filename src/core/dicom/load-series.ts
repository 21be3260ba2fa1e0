import { PulmoLensError } from '../../common/errors';
import type { Volume } from '../../common/volume';
import { decodeFrame } from './codecs/decode-frame';
import { decodePool, defaultDecodeWorkers } from './decode-pool';
import type { BatchStats, DecodeTask } from './decode-protocol';
import { fsFileSource, readRangeInto, type FileSource } from './file-source';
import { nativeGcm } from '../vault/native-gcm';
import { largestShiftMm, sliceShifts, untilt } from './gantry-tilt';
import { frameBytes, parseInstance } from './parse-instance';
import { toSkipped } from './scan';
import { withOwnSlots } from './series-geometry';
import { HuHistogram, PADDING_HU, storedToHu } from './stored-to-hu';
import type { FrameRef, LoadedSeries, ScannedSeries, SkippedFile, TaskOptions } from './types';

/** Cancellation and a locked or broken vault end the whole load; anything else is per file. */
function isFatal(e: unknown): boolean {
  return e instanceof PulmoLensError && (e.code === 'CANCELLED' || e.code.startsWith('VAULT_'));
}

export interface LoadOptions extends TaskOptions {
  /** Where the files are read from (default: the file system; the vault passes its own). */
  source?: FileSource;
  /**
   * Decode workers for the uncompressed 16-bit frames (default: one per core). 0 decodes
   * everything on this thread; compressed frames are always decoded on this thread.
   */
  workers?: number;
}

/** Below this many frames a series decodes faster on this thread than by messaging workers. */
const MIN_FRAMES_FOR_WORKERS = 8;
const FRAMES_PER_BATCH = 8;

/**
 * Decodes a scanned series into an Int16 HU volume. Each file is read and parsed once, its
 * frames decoded into their slots (a series stored with two frames in one slot is laid out again
 * first; `series` in the result says how). A frame that fails is listed in `skipped` and left as air, so
 * one bad file never costs the rest of the series.
 */
export async function loadSeries(scanned: ScannedSeries, opts: LoadOptions = {}): Promise<LoadedSeries> {
  // Two frames in one slot would leave whichever decode finished last.
  const series = withOwnSlots(scanned);
  const nx = series.columns;
  const ny = series.rows;
  const nz = series.slices;
  const sliceSize = nx * ny;
  const source = opts.source ?? fsFileSource;

  // Uncompressed 16-bit frames go to the decode workers, which write into one shared volume;
  // the rest (compressed, 8-bit) are decoded here meanwhile.
  const directRefs = series.frames.filter((f) => f.direct);
  const workers = opts.workers ?? defaultDecodeWorkers();
  const pooled = directRefs.filter(
    (f) => f.direct!.bitsAllocated === 16 && f.direct!.length === sliceSize * 2,
  );
  const usePool = workers > 0 && pooled.length >= MIN_FRAMES_FOR_WORKERS;
  const hu = usePool
    ? new Int16Array(new SharedArrayBuffer(sliceSize * nz * 2))
    : new Int16Array(sliceSize * nz);
  const filled = new Uint8Array(nz);
  const hist = new HuHistogram();
  const workerStats: BatchStats = { min: 32767, max: -32768, sum: 0, count: 0 };
  const skipped: SkippedFile[] = [];

  const byPath = new Map<string, typeof series.frames>();
  for (const f of series.frames.filter((x) => !x.direct)) {
    const list = byPath.get(f.path) ?? [];
    list.push(f);
    byPath.set(f.path, list);
  }
  let done = 0;
  const total = series.frames.length;
  const frameDone = (): void => {
    done += 1;
    opts.onProgress?.({ done, total, stage: 'decoding' });
  };
  const toWorkers = new Set(usePool ? pooled : []);
  const directQueue = directRefs.filter((f) => !toWorkers.has(f));
  const readDirect = async (): Promise<void> => {
    for (let ref = directQueue.shift(); ref !== undefined; ref = directQueue.shift()) {
      if (opts.signal?.aborted) throw new PulmoLensError('CANCELLED', 'loading cancelled');
      const d = ref.direct!;
      try {
        const buf = await source.readRange(ref.path, d.offset, d.length);
        if (buf.length < d.length) throw shortFile(ref.path, buf.length, d.length);
        // An aligned view when possible; a copy otherwise, and always before a byte swap.
        const frame =
          buf.byteOffset % 2 === 0 && d.littleEndian
            ? buf.subarray(0, d.length)
            : Buffer.from(buf.subarray(0, d.length));
        if (!d.littleEndian && d.bitsAllocated === 16) (frame as Buffer).swap16();
        const px =
          d.bitsAllocated === 16 ? new Uint16Array(frame.buffer, frame.byteOffset, d.length / 2) : frame;
        storedToHu(px, d, hu, ref.slot * sliceSize, hist);
        filled[ref.slot] = 1;
      } catch (e) {
        if (isFatal(e)) throw e;
        skipped.push(toSkipped(ref.path, e));
      }
      frameDone();
    }
  };
  const runDirect = () => Promise.all(Array.from({ length: Math.min(4, directQueue.length) }, readDirect));

  const queue = [...byPath.entries()];
  const work = async (): Promise<void> => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
      if (opts.signal?.aborted) throw new PulmoLensError('CANCELLED', 'loading cancelled');
      const [path, refs] = item;
      try {
        const parsed = parseInstance(await source.readFile(path), path);
        const h = parsed.header;
        if (h.rows !== ny || h.columns !== nx) {
          throw new PulmoLensError(
            'SERIES_INCONSISTENT',
            `image is ${h.columns}x${h.rows}, series is ${nx}x${ny}`,
            {
              path,
            },
          );
        }
        for (const ref of refs) {
          const fh = h.frames[ref.frame];
          if (!fh)
            throw new PulmoLensError('DICOM_PIXEL_ATTRIBUTES', `frame ${ref.frame} is missing`, { path });
          let stored;
          try {
            stored = await decodeFrame(h.codec, frameBytes(parsed, ref.frame), h);
          } catch (e) {
            if (e instanceof PulmoLensError) throw e;
            throw new PulmoLensError(
              'DICOM_DECODE_FAILED',
              `frame ${ref.frame} (${h.transferSyntaxUid}) cannot be decoded: ${e instanceof Error ? e.message : String(e)}`,
              { path, cause: e },
            );
          }
          storedToHu(
            stored,
            { ...h, slope: fh.slope, intercept: fh.intercept },
            hu,
            ref.slot * sliceSize,
            hist,
          );
          filled[ref.slot] = 1;
          frameDone();
        }
      } catch (e) {
        if (isFatal(e)) throw e;
        skipped.push(toSkipped(path, e));
        done += refs.length;
      }
    }
  };
  const runCompressed = () => Promise.all(Array.from({ length: Math.min(4, queue.length) }, work));

  if (usePool) {
    const [redo] = await Promise.all([
      fillInWorkers({
        refs: pooled,
        source,
        workers,
        volume: hu.buffer as SharedArrayBuffer,
        sliceSize,
        signal: opts.signal,
        onFrame: (ref, err) => {
          if (err) skipped.push(toSkipped(ref.path, err));
          else filled[ref.slot] = 1;
          frameDone();
        },
        stats: workerStats,
      }),
      runCompressed(),
      runDirect(),
    ]);
    // Frames whose worker stopped (it crashed or could not start) are decoded here instead.
    directQueue.push(...redo);
    await runDirect();
  } else {
    await runDirect();
    await runCompressed();
  }

  const emptySlices: number[] = [];
  for (let k = 0; k < nz; k++) {
    if (filled[k]) continue;
    hu.fill(PADDING_HU, k * sliceSize, (k + 1) * sliceSize);
    emptySlices.push(k);
  }
  // A tilted series' slices move onto the orthogonal grid its geometry states.
  const shifts = sliceShifts(
    series.frames.filter((f) => filled[f.slot]),
    series,
  );
  const grid = untilt({ ...series, hu, dims: [nx, ny, nz] }, shifts, PADDING_HU);
  const { min, max, sum, count } = mergeStats(hist.stats(), workerStats);
  if (count === 0) {
    throw new PulmoLensError(
      'DICOM_DECODE_FAILED',
      `no image of series ${series.key} could be decoded: ${skipped[0]?.reason ?? 'unknown reason'}`,
      { path: skipped[0]?.path, details: { skipped } },
    );
  }
  const warnings = [...series.warnings];
  if (shifts.length > 0)
    warnings.push(
      `${shifts.length} slice(s) shifted in their planes by up to ${largestShiftMm(shifts, series.spacingMm).toFixed(1)} mm onto an orthogonal grid (${grid.dims[0]}x${grid.dims[1]}; where no slice reaches reads as air)`,
    );
  if (skipped.length)
    warnings.push(`${skipped.length} file(s) could not be decoded; their slices are shown as air`);
  const volume: Volume = {
    dims: grid.dims,
    spacingMm: series.spacingMm,
    originLps: grid.originLps,
    direction: series.direction,
    hu: grid.hu,
  };
  return {
    series: { ...series, warnings },
    volume,
    huMin: min,
    huMax: max,
    huMean: sum / count,
    skipped,
    emptySlices,
  };
}

function shortFile(path: string, got: number, want: number): PulmoLensError {
  return new PulmoLensError('DICOM_PIXEL_ATTRIBUTES', `file ends after ${got} of ${want} pixel bytes`, {
    path,
  });
}

function mergeStats(a: BatchStats, b: BatchStats): BatchStats {
  if (a.count === 0) return b;
  if (b.count === 0) return a;
  return {
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
    sum: a.sum + b.sum,
    count: a.count + b.count,
  };
}

interface WorkerFill {
  refs: FrameRef[];
  source: FileSource;
  workers: number;
  volume: SharedArrayBuffer;
  sliceSize: number;
  signal: AbortSignal | undefined;
  /** Called once per frame the workers finished: `err` set when that frame failed. */
  onFrame: (ref: FrameRef, err: unknown) => void;
  stats: BatchStats;
}

/**
 * Has the decode workers fill the frames' slots of `volume`. A source that tells workers how to
 * read (files; vault objects, each with its own key) is read by the workers, straight into the
 * slots; any other is read into the slots by this thread, and the workers convert in place.
 * Returns the frames a stopped worker left undone. Cancellation and fatal source errors (a locked
 * or damaged vault) wait for the batches in flight, then throw.
 */
function fillInWorkers(w: WorkerFill): Promise<FrameRef[]> {
  const workersRead = w.source.slotRead !== undefined;
  const ready: DecodeTask[] = [];
  const redo: FrameRef[] = [];
  const maxInFlight = w.workers * 2;
  let inFlight = 0;
  let readsDone = workersRead;
  let fatal: unknown = null;
  const toRead = workersRead ? [] : w.refs.map((ref, i) => ({ ref, i }));
  if (workersRead) w.refs.forEach((ref, i) => ready.push({ ref: i, slot: ref.slot, direct: ref.direct! }));

  /** Read specs are made just before dispatch, so a vault locked meanwhile stops the load there. */
  const withReads = (tasks: DecodeTask[]): DecodeTask[] => {
    if (!workersRead) return tasks;
    const out: DecodeTask[] = [];
    for (const t of tasks) {
      const ref = w.refs[t.ref]!;
      try {
        out.push({ ...t, read: w.source.slotRead!(ref.path) });
      } catch (e) {
        if (isFatal(e)) fatal ??= e;
        else w.onFrame(ref, e);
      }
    }
    return out;
  };

  return new Promise<FrameRef[]>((resolve, reject) => {
    const pump = (): void => {
      if (fatal === null && w.signal?.aborted) fatal = new PulmoLensError('CANCELLED', 'loading cancelled');
      while (
        fatal === null &&
        inFlight < maxInFlight &&
        (ready.length >= FRAMES_PER_BATCH || (readsDone && ready.length > 0))
      ) {
        const tasks = withReads(ready.splice(0, FRAMES_PER_BATCH));
        if (tasks.length === 0) continue;
        inFlight += 1;
        const reply = decodePool.run(w.workers, {
          volume: w.volume,
          sliceSize: w.sliceSize,
          tasks,
          nativeDecipher: nativeGcm() !== null,
        });
        // The worker got its own copy of each object key.
        for (const t of tasks) if (t.read?.kind === 'vault-object') t.read.key.fill(0);
        reply
          .then(
            (r) => {
              const failed = new Map(r.failures.map((f) => [f.ref, f]));
              for (const t of tasks) {
                const ref = w.refs[t.ref]!;
                const f = failed.get(t.ref);
                const err = f
                  ? f.code
                    ? new PulmoLensError(f.code, f.message, {
                        path: f.path ?? ref.path,
                        ...(f.details ? { details: f.details } : {}),
                      })
                    : new Error(f.message)
                  : null;
                if (err && isFatal(err)) fatal ??= err;
                else w.onFrame(ref, err);
              }
              Object.assign(w.stats, mergeStats(w.stats, r.stats));
            },
            () => {
              for (const t of tasks) redo.push(w.refs[t.ref]!);
            },
          )
          .finally(() => {
            inFlight -= 1;
            pump();
          });
      }
      const finished = readsDone && ready.length === 0;
      if (inFlight === 0 && (fatal !== null || finished)) {
        if (fatal !== null) reject(fatal);
        else resolve(redo);
      }
    };
    if (workersRead) {
      pump();
      return;
    }
    // This thread reads: a few reads at a time, each straight into its slot.
    const reader = async (): Promise<void> => {
      for (let next = toRead.shift(); next !== undefined && fatal === null; next = toRead.shift()) {
        if (w.signal?.aborted) return;
        const { ref, i } = next;
        const d = ref.direct!;
        try {
          const slot = new Uint8Array(w.volume, ref.slot * w.sliceSize * 2, d.length);
          const got = await readRangeInto(w.source, ref.path, d.offset, slot);
          if (got < d.length) throw shortFile(ref.path, got, d.length);
          ready.push({ ref: i, slot: ref.slot, direct: d });
        } catch (e) {
          if (isFatal(e)) fatal ??= e;
          else w.onFrame(ref, e);
        }
        pump();
      }
    };
    void Promise.all(Array.from({ length: Math.min(4, toRead.length) }, reader)).then(() => {
      readsDone = true;
      pump();
    });
  });
}
