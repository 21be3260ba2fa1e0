import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LoadedSeries, Progress } from '../dicom/types';
import { PulmoLensError } from '../../common/errors';
import type { Volume } from '../../common/volume';
import { configureBlobWorkers, inSharedMemory, shutdownBlobWorkers } from './blob-pool';
import type { InferenceConfig, ModelChoice } from './config';
import { runAnalysis, type AnalysisResult, type AnalyzeOptions, type SeriesHeader } from './pipeline';
import { setOrtVerbose } from './providers';
import type { InferenceWorkerData, RunRequest, WorkerReply } from './worker-protocol';

export interface AnalyzeSeriesOptions extends AnalyzeOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Run in the calling thread instead of the worker (benchmarks of the bare pipeline). */
  inProcess?: boolean;
}

/** What analyzeSeries needs of a loaded series; a LoadedSeries from src/core/dicom fits. */
export interface AnalyzableSeries {
  volume: Volume;
  series: { metadata: SeriesHeader };
}

/**
 * Runs the whole nodule pipeline on a loaded series in a worker thread: detection heatmap,
 * candidates, characterization, measurements, Brock, Lung-RADS, Fleischner. Progress arrives via
 * onProgress; aborting the signal cancels (rejects with CANCELLED). `config` comes from the entry point.
 */
export async function analyzeSeries(
  loaded: AnalyzableSeries | LoadedSeries,
  config: InferenceConfig,
  opts: AnalyzeSeriesOptions = {},
): Promise<AnalysisResult> {
  const { signal, onProgress, inProcess, ...rest } = opts;
  // A loaded series' slices with no image are filled for the analysis (pipeline.ts, empty-slices.ts).
  const options: AnalyzeOptions =
    rest.emptySlices === undefined && 'emptySlices' in loaded && loaded.emptySlices.length
      ? { ...rest, emptySlices: loaded.emptySlices }
      : rest;
  const header = pickHeader(loaded.series.metadata);
  const models: ModelChoice = { modelsDir: config.modelsDir, provider: config.provider };
  if (signal?.aborted) throw cancelled();
  if (inProcess) {
    setOrtVerbose(config.ortVerbose);
    configureBlobWorkers({ entry: config.blobWorkerEntry });
    return runAnalysis(loaded.volume, header, models, options, {
      onProgress,
      checkCancelled: () => {
        if (signal?.aborted) throw cancelled();
      },
    });
  }
  return inferenceWorker(config).run(loaded.volume, header, models, options, signal, onProgress);
}

function pickHeader(m: SeriesHeader): SeriesHeader {
  return {
    seriesInstanceUid: m.seriesInstanceUid,
    patientAge: m.patientAge,
    patientSex: m.patientSex,
    patientBirthDate: m.patientBirthDate,
    studyDate: m.studyDate,
    ...(m.sliceThicknessMm !== undefined ? { sliceThicknessMm: m.sliceThicknessMm } : {}),
  };
}

function cancelled(): PulmoLensError {
  return new PulmoLensError('CANCELLED', 'analysis cancelled');
}

/**
 * Starts the worker: the config's built entry (a bundled app), else the entry next to this module.
 * From a build that is worker.js; from TypeScript sources (tsx, vitest) a tiny bootstrap registers
 * tsx's loader inside the worker first and then imports worker.ts (`--import tsx` in execArgv is
 * not honoured by Node 20 workers).
 */
function spawnWorker(config: InferenceConfig): Worker {
  const workerData: InferenceWorkerData = {
    ortVerbose: config.ortVerbose,
    blobWorkerEntry: config.blobWorkerEntry,
  };
  if (config.workerEntry) return new Worker(config.workerEntry, { workerData });
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./worker.js', import.meta.url), { workerData });
  const entry = new URL('./worker.ts', import.meta.url).href;
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href.replace(
    /\.cjs$/,
    '.mjs',
  );
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

interface Job {
  id: number;
  resolve: (r: AnalysisResult) => void;
  reject: (e: unknown) => void;
  onProgress: ((p: Progress) => void) | undefined;
}

/**
 * One long-lived worker, so model sessions are created once. It is unref'd while idle so a CLI
 * process can exit; jobs run one at a time in the worker's own queue.
 */
class InferenceWorker {
  constructor(private readonly config: InferenceConfig) {}
  private worker: Worker | null = null;
  private jobs = new Map<number, Job>();
  private nextId = 1;

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const w = spawnWorker(this.config);
    w.on('message', (r: WorkerReply) => this.onReply(r));
    w.on('error', (e) => this.failAll(e));
    w.on('exit', (code) => {
      if (this.worker === w) this.worker = null;
      this.failAll(new PulmoLensError('MODEL_RUNTIME', `inference worker exited (code ${code})`));
    });
    w.unref();
    this.worker = w;
    return w;
  }

  run(
    volume: Volume,
    header: SeriesHeader,
    models: ModelChoice,
    options: AnalyzeOptions,
    signal: AbortSignal | undefined,
    onProgress: ((p: Progress) => void) | undefined,
  ): Promise<AnalysisResult> {
    const w = this.ensure();
    const id = this.nextId++;
    const cancel = new SharedArrayBuffer(4);
    return new Promise<AnalysisResult>((resolve, reject) => {
      const onAbort = () => {
        Atomics.store(new Int32Array(cancel), 0, 1);
        // The worker stops at its next check and answers CANCELLED; settle now so the UI is free.
        const job = this.jobs.get(id);
        if (job) job.onProgress = undefined;
        reject(cancelled());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle =
        <T>(f: (v: T) => void) =>
        (v: T) => {
          signal?.removeEventListener('abort', onAbort);
          this.jobs.delete(id);
          if (this.jobs.size === 0) this.worker?.unref();
          f(v);
        };
      this.jobs.set(id, { id, resolve: settle(resolve), reject: settle(reject), onProgress });
      w.ref();
      const msg: RunRequest = {
        type: 'run',
        id,
        volume: plainVolume(volume),
        header,
        models,
        options,
        cancel,
      };
      w.postMessage(msg);
    });
  }

  private onReply(r: WorkerReply): void {
    const job = this.jobs.get(r.id);
    if (!job) return;
    if (r.type === 'progress') job.onProgress?.(r.progress);
    else if (r.type === 'done') job.resolve(r.result);
    else {
      const e = r.error;
      job.reject(
        e.code
          ? new PulmoLensError(e.code, e.message, {
              ...(e.path ? { path: e.path } : {}),
              ...(e.details ? { details: e.details } : {}),
            })
          : new PulmoLensError('MODEL_RUNTIME', e.message),
      );
    }
  }

  private failAll(e: unknown): void {
    for (const job of [...this.jobs.values()]) job.reject(e);
    this.jobs.clear();
  }

  async terminate(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}

/**
 * Only the geometry and voxels cross the thread boundary, the voxels in shared memory: the worker
 * and its blob workers then read one copy (a plain array is copied once, as a message would be).
 */
function plainVolume(v: Volume): Volume {
  return {
    dims: v.dims,
    spacingMm: v.spacingMm,
    originLps: v.originLps,
    direction: v.direction,
    hu: inSharedMemory(v.hu),
  };
}

/**
 * One worker per thread configuration (entry and log level; a process has one). The models and
 * provider travel with each job, and the worker keeps one runtime per choice.
 */
const workers = new Map<string, InferenceWorker>();
function inferenceWorker(config: InferenceConfig): InferenceWorker {
  const key = JSON.stringify([config.workerEntry, config.blobWorkerEntry, config.ortVerbose]);
  let w = workers.get(key);
  if (!w) {
    w = new InferenceWorker(config);
    workers.set(key, w);
  }
  return w;
}

/**
 * Stops the workers (app quit, end of a test file); the next analysis starts a fresh one. The blob
 * workers of an inference worker end with it; those of in-process runs are stopped here.
 */
export async function shutdownInference(): Promise<void> {
  const all = [...workers.values()];
  workers.clear();
  for (const w of all) await w.terminate();
  await shutdownBlobWorkers();
}
