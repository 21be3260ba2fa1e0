/**
 * DicomBackend over one long-lived worker thread. The worker is started lazily and restarted if it
 * dies; a dead worker fails its pending jobs with a typed error instead of leaving them hanging.
 */
import { Worker } from 'node:worker_threads';
import { PulmoLensError } from '../../common/errors';
import type { LoadedSeries, ScanResult, TaskOptions } from '../../core/dicom/types';
import type { DicomBackend } from './dicom-backend';
import type { DicomWorkerReply, DicomWorkerRequest } from './worker-protocol';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  onProgress?: TaskOptions['onProgress'];
}

export function createWorkerBackend(spawn: () => Worker): DicomBackend {
  let worker: Worker | null = null;
  let nextId = 1;
  const pending = new Map<number, Pending>();

  function failAll(reason: string): void {
    for (const p of pending.values())
      p.reject(new PulmoLensError('IO_ERROR', `DICOM worker stopped: ${reason}`));
    pending.clear();
  }

  function ensure(): Worker {
    if (worker) return worker;
    const w = spawn();
    w.on('message', (msg: DicomWorkerReply) => {
      const p = pending.get(msg.id);
      if (!p) return;
      if (msg.type === 'progress') {
        p.onProgress?.(msg.progress);
        return;
      }
      pending.delete(msg.id);
      if (msg.type === 'error') {
        p.reject(
          new PulmoLensError(
            msg.error.code,
            msg.error.message,
            msg.error.path ? { path: msg.error.path } : {},
          ),
        );
      } else {
        p.resolve(msg.result);
      }
    });
    w.on('error', (err) => {
      worker = null;
      failAll(err.message);
    });
    w.on('exit', (code) => {
      if (worker === w) worker = null;
      failAll(`exit code ${code}`);
    });
    worker = w;
    return w;
  }

  type JobRequest = Extract<DicomWorkerRequest, { type: 'scan' | 'load' }>;

  function run<T>(
    req: DistributiveOmit<JobRequest, 'id'>,
    opts: TaskOptions,
    transfer: ArrayBuffer[] = [],
  ): Promise<T> {
    if (opts.signal?.aborted)
      return Promise.reject(new PulmoLensError('CANCELLED', 'cancelled before start'));
    const id = nextId++;
    const w = ensure();
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onProgress: opts.onProgress });
      opts.signal?.addEventListener(
        'abort',
        () => w.postMessage({ type: 'cancel', id } satisfies DicomWorkerRequest),
        {
          once: true,
        },
      );
      w.postMessage({ ...req, id } as DicomWorkerRequest, transfer);
    });
  }

  return {
    scan: (paths, opts) => run<ScanResult>({ type: 'scan', paths }, opts),
    load: (series, opts, files) => {
      if (!files) return run<LoadedSeries>({ type: 'load', series }, opts);
      // Hand the decrypted bytes over (no copy); each file owns its buffer.
      const transfer = [...files.values()].flatMap((b) =>
        b.buffer instanceof ArrayBuffer && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength
          ? [b.buffer]
          : [],
      );
      return run<LoadedSeries>({ type: 'load', series, files }, opts, transfer);
    },
    async close() {
      const w = worker;
      worker = null;
      if (w) await w.terminate();
    },
  };
}
