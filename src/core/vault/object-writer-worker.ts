/**
 * Object-writer worker: encrypts files into vault objects while reading them, chunk by chunk,
 * off the thread that holds the vault (it gets each object's own key, never the vault's keys,
 * and wipes it, and the plaintext read buffer, after every object).
 */
import { parentPort } from 'node:worker_threads';
import { PulmoLensError } from '../../common/errors';
import { DEFAULT_CHUNK_BYTES, objectScratchBytes, writeObjectFile } from './object-file';
import type { WriteObjectJob, WriteObjectReply } from './object-writer-protocol';

const port = parentPort;
if (!port) throw new Error('object-writer-worker must run in a worker thread');

port.on('message', async (job: WriteObjectJob) => {
  const key = Buffer.from(job.key.buffer, job.key.byteOffset, job.key.length);
  const scratch = Buffer.allocUnsafe(
    objectScratchBytes(Math.max(job.coords.chunkBytes, DEFAULT_CHUNK_BYTES)),
  );
  let result: WriteObjectReply['result'];
  try {
    const size = await writeObjectFile(
      job.tmpDir,
      job.finalPath,
      job.coords,
      key,
      { path: job.sourcePath },
      scratch,
    );
    result = { size };
  } catch (e) {
    const err =
      e instanceof PulmoLensError
        ? e
        : new PulmoLensError('VAULT_IO', e instanceof Error ? e.message : String(e), { path: job.finalPath });
    result = {
      code: err.code,
      message: err.message,
      ...(err.path ? { path: err.path } : {}),
      ...(err.details ? { details: err.details } : {}),
    };
  } finally {
    key.fill(0);
    scratch.fill(0);
  }
  port.postMessage({ id: job.id, result } satisfies WriteObjectReply);
});
