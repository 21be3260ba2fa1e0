/**
 * Long-lived decode workers (node worker_threads), one per core by default, shared by every load
 * in this thread. They are started on first use, kept for the next series (a start costs more
 * than decoding a small series) and unref'd while idle so a CLI process can still exit.
 */
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
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
export function defaultDecodeWorkers(): number {
  return Math.max(1, Math.min(8, availableParallelism()));
}

function spawn(): Worker {
  if (configuredEntry) return new Worker(configuredEntry);
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./decode-worker.js', import.meta.url));
  // tsx and vitest: Node 20 workers ignore `--import tsx`, so a bootstrap registers tsx first.
  const entry = new URL('./decode-worker.ts', import.meta.url).href;
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href.replace(
    /\.cjs$/,
    '.mjs',
  );
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true });
}

interface Pending {
  resolve: (r: DecodeReply) => void;
  reject: (e: Error) => void;
}

class PooledWorker {
  readonly pending = new Map<number, Pending>();
  readonly worker: Worker;

  constructor(onGone: (w: PooledWorker) => void) {
    this.worker = spawn();
    this.worker.unref();
    this.worker.on('message', (r: DecodeReply) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (this.pending.size === 0) this.worker.unref();
      p.resolve(r);
    });
    const fail = (why: string) => {
      onGone(this);
      const err = new Error(`decode worker stopped: ${why}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', (e) => fail(e.message));
    this.worker.on('exit', (code) => fail(`exit code ${code}`));
  }

  run(batch: DecodeBatch): Promise<DecodeReply> {
    return new Promise((resolve, reject) => {
      this.pending.set(batch.id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage(batch);
    });
  }
}

export class DecodePool {
  private readonly workers: PooledWorker[] = [];
  private nextId = 1;

  /** Runs a batch on the least busy worker, starting one while fewer than `size` run. */
  run(size: number, batch: Omit<DecodeBatch, 'id'>): Promise<DecodeReply> {
    let w: PooledWorker | undefined;
    if (this.workers.length < size) {
      try {
        w = new PooledWorker((gone) => {
          const i = this.workers.indexOf(gone);
          if (i >= 0) this.workers.splice(i, 1);
        });
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
      this.workers.push(w);
    } else {
      for (const c of this.workers.slice(0, size)) if (!w || c.pending.size < w.pending.size) w = c;
    }
    return w!.run({ ...batch, id: this.nextId++ });
  }

  /** Stops every worker (tests and shutdown); the next load starts new ones. */
  async close(): Promise<void> {
    const all = this.workers.splice(0);
    await Promise.all(all.map((w) => w.worker.terminate()));
  }
}

export const decodePool = new DecodePool();
