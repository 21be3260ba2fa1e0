/** The object-writer workers (./object-writer-worker): one pool per thread that holds a vault. */
import { spawnEntry, WorkerPool } from '../workers/worker-pool';
import type { WriteObjectJob, WriteObjectReply } from './object-writer-protocol';

let configuredEntry: string | null = null;

/** A bundled app passes the built worker entry here; from sources it is found next to this module. */
export function configureObjectWriterWorkers(opts: { entry: string | null }): void {
  configuredEntry = opts.entry;
}

export const objectWriterPool = new WorkerPool<Omit<WriteObjectJob, 'id'>, WriteObjectReply>(() =>
  spawnEntry(configuredEntry, 'object-writer-worker', import.meta.url),
);
