/**
 * Inference worker thread: runs the pipeline away from the Electron main process (and the CLI's
 * event loop). Model sessions live here and are reused from one scan to the next.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PulmoLensError } from '../../common/errors';
import { configureBlobWorkers } from './blob-pool';
import { runAnalysis } from './pipeline';
import { setOrtVerbose } from './providers';
import type { InferenceWorkerData, RunRequest, WorkerReply } from './worker-protocol';

const port = parentPort;
if (!port) throw new Error('worker.ts must run as a worker thread');
const data = workerData as InferenceWorkerData | null;
setOrtVerbose(data?.ortVerbose === true);
configureBlobWorkers({ entry: typeof data?.blobWorkerEntry === 'string' ? data.blobWorkerEntry : null });

let queue = Promise.resolve();

port.on('message', (msg: RunRequest) => {
  if (msg.type !== 'run') return;
  queue = queue.then(() => run(msg));
});

async function run(msg: RunRequest): Promise<void> {
  const flag = new Int32Array(msg.cancel);
  const post = (r: WorkerReply, transfer: ArrayBuffer[] = []) => port!.postMessage(r, transfer);
  try {
    const result = await runAnalysis(msg.volume, msg.header, msg.models, msg.options, {
      onProgress: (progress) => post({ type: 'progress', id: msg.id, progress }),
      checkCancelled: () => {
        if (Atomics.load(flag, 0) !== 0) throw new PulmoLensError('CANCELLED', 'analysis cancelled');
      },
    });
    post({ type: 'done', id: msg.id, result }, [result.heatmap.data.buffer as ArrayBuffer]);
  } catch (e) {
    const err = e instanceof PulmoLensError ? e : null;
    post({
      type: 'error',
      id: msg.id,
      error: {
        code: err?.code ?? null,
        message: e instanceof Error ? e.message : String(e),
        ...(err?.path ? { path: err.path } : {}),
        ...(err?.details ? { details: err.details } : {}),
      },
    });
  }
}
