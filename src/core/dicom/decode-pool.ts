/** The decode workers (./decode-worker): one pool per thread that loads series. */
import { defaultWorkerCount, spawnEntry, WorkerPool } from '../workers/worker-pool';
import type { DecodeBatch, DecodeReply } from './decode-protocol';

let configuredEntry: string | null = null;

/**
 * A bundled app passes the built worker entry here (from its entry point: the build decides where
 * the file lies). From TypeScript sources the entry is found next to this module.
 */
export function configureDecodeWorkers(opts: { entry: string | null }): void {
  configuredEntry = opts.entry;
}

/** Decode workers a load uses unless told otherwise: one per core. */
export const defaultDecodeWorkers = defaultWorkerCount;

export const decodePool = new WorkerPool<Omit<DecodeBatch, 'id'>, DecodeReply>(() =>
  spawnEntry(configuredEntry, 'decode-worker', import.meta.url),
);
