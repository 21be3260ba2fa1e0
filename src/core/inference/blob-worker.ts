/**
 * Blob worker: runs z slabs of the blob detector's octaves (blobs.ts) for the analysis thread,
 * and later a share of the candidates' re-centring (recentre.ts). It stops at the next plane
 * (or candidate) once the run's shared cancel flag is set.
 */
import { parentPort } from 'node:worker_threads';
import { PulmoLensError } from '../../common/errors';
import { blobSlab } from './blobs';
import type { WorkerJob, WorkerReply } from './blob-protocol';
import { cubeValues, extractCandidateCubes } from './cubes';
import { recentreCandidate } from './recentre';

const port = parentPort;
if (!port) throw new Error('blob-worker must run in a worker thread');

port.on('message', (job: WorkerJob) => {
  const shared = new Int32Array(job.shared);
  const check = () => {
    if (Atomics.load(shared, 0) !== 0) throw new PulmoLensError('CANCELLED', 'analysis cancelled');
  };
  let reply: WorkerReply;
  try {
    if (job.kind === 'cubes') {
      const volume = { hu: job.hu, dims: job.dims, spacingMm: job.spacingMm };
      const out = new Float32Array(job.out);
      const per = cubeValues(job.inputs);
      for (const { centre, slot } of job.items) {
        check();
        extractCandidateCubes(volume, centre, job.inputs, job.huWindow, out, slot * per);
      }
      reply = { id: job.id, ok: true };
    } else if (job.kind === 'recentre') {
      const volume = { hu: job.hu, dims: job.dims, spacingMm: job.spacingMm };
      const centres = job.items.map((c) => {
        check();
        return recentreCandidate(volume, job.mask, c.centre, c.scaleMm);
      });
      reply = { id: job.id, ok: true, centres };
    } else {
      const volume = { hu: job.hu, dims: job.dims };
      const found = job.slabs.map((s) =>
        blobSlab(volume, job.lung, s.octave, job.limits, s.z0, s.z1, check, () => Atomics.add(shared, 1, 1)),
      );
      reply = { id: job.id, ok: true, found };
    }
  } catch (e) {
    reply = {
      id: job.id,
      ok: false,
      cancelled: e instanceof PulmoLensError && e.code === 'CANCELLED',
      message: e instanceof Error ? e.message : String(e),
    };
  }
  port.postMessage(reply);
});
