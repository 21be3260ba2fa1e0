/**
 * Worker thread that owns all DICOM parsing and pixel decoding, so the process that answers IPC
 * stays responsive. Each job gets its own AbortController; a `cancel` message aborts it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { bufferFileSource, loadSeries, scanDicomInputs } from '../../core/dicom/index';
import { configureDecodeWorkers } from '../../core/dicom/decode-pool';
import { isPulmoLensError } from '../../common/errors';
import type { DicomWorkerReply, DicomWorkerRequest } from './worker-protocol';

const port = parentPort;
if (!port) throw new Error('dicom-worker must run in a worker thread');
// The app passes its built decode-worker entry; from sources (tests) it is found next to the code.
const decodeWorker = (workerData as { decodeWorker?: unknown } | null)?.decodeWorker;
configureDecodeWorkers({ entry: typeof decodeWorker === 'string' ? decodeWorker : null });

const jobs = new Map<number, AbortController>();
const post = (msg: DicomWorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(msg, transfer);

port.on('message', (msg: DicomWorkerRequest) => {
  if (msg.type === 'cancel') {
    jobs.get(msg.id)?.abort();
    return;
  }
  const ctrl = new AbortController();
  jobs.set(msg.id, ctrl);
  const opts = {
    signal: ctrl.signal,
    onProgress: (progress: { done: number; total: number; stage: string }) =>
      post({ type: 'progress', id: msg.id, progress }),
  };
  const job =
    msg.type === 'scan'
      ? scanDicomInputs(msg.paths, opts).then((result) => post({ type: 'scanned', id: msg.id, result }))
      : loadSeries(msg.series, msg.files ? { ...opts, source: bufferFileSource(msg.files) } : opts).then(
          (result) => {
            // Hand the voxel buffer over instead of copying ~100 MB.
            const buf = result.volume.hu.buffer;
            post({ type: 'loaded', id: msg.id, result }, buf instanceof ArrayBuffer ? [buf] : []);
          },
        );
  job
    .catch((err: unknown) => {
      const error = isPulmoLensError(err)
        ? { code: err.code, message: err.message, ...(err.path ? { path: err.path } : {}) }
        : ctrl.signal.aborted
          ? { code: 'CANCELLED' as const, message: 'cancelled' }
          : {
              code: 'DICOM_DECODE_FAILED' as const,
              message: err instanceof Error ? err.message : String(err),
            };
      post({ type: 'error', id: msg.id, error });
    })
    .finally(() => jobs.delete(msg.id));
});
