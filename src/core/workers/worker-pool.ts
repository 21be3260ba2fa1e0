/**
 * A few long-lived worker threads for one kind of job, shared by every caller in this thread.
 * They start on first use, stay for the next job (a start costs more than a small job) and are
 * unref'd while idle so a CLI process can still exit. A worker that dies fails its jobs with a
 * plain Error (callers then do the work themselves) and is replaced on the next use.
 */
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** Workers a pool uses unless told otherwise: one per core. */
export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(8, availableParallelism()));
}

/**
 * Starts a worker entry: the built file a bundled app configured, else `<name>.js` next to the
 * calling module when it runs compiled, else (tsx, vitest) `<name>.ts` through a bootstrap that
 * registers tsx first (Node 20 workers ignore `--import tsx`).
 */
export function spawnEntry(configured: string | null, name: string, moduleUrl: string): Worker {
  if (configured) return new Worker(configured);
  if (!moduleUrl.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, moduleUrl));
  const entry = new URL(`./${name}.ts`, moduleUrl).href;
  const tsxApi = pathToFileURL(createRequire(moduleUrl).resolve('tsx/esm/api')).href.replace(
    /\.cjs$/,
    '.mjs',
  );
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true });
}

interface Pending<Rep> {
  resolve: (r: Rep) => void;
  reject: (e: Error) => void;
}

class PooledWorker<Rep extends { id: number }> {
  readonly pending = new Map<number, Pending<Rep>>();

  constructor(
    readonly worker: Worker,
    onGone: (w: PooledWorker<Rep>) => void,
  ) {
    worker.unref();
    worker.on('message', (r: Rep) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (this.pending.size === 0) worker.unref();
      p.resolve(r);
    });
    const fail = (why: string) => {
      onGone(this);
      const err = new Error(`worker stopped: ${why}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', (e) => fail(e.message));
    worker.on('exit', (code) => fail(`exit code ${code}`));
  }

  run(req: { id: number }): Promise<Rep> {
    return new Promise((resolve, reject) => {
      this.pending.set(req.id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage(req);
    });
  }
}

export class WorkerPool<Req, Rep extends { id: number }> {
  private readonly workers: PooledWorker<Rep>[] = [];
  private nextId = 1;

  constructor(private readonly spawn: () => Worker) {}

  private start(): PooledWorker<Rep> {
    const w = new PooledWorker<Rep>(this.spawn(), (gone) => {
      const i = this.workers.indexOf(gone);
      if (i >= 0) this.workers.splice(i, 1);
    });
    this.workers.push(w);
    return w;
  }

  /**
   * Starts workers until `size` run, so that a job soon to come does not wait for a start (a
   * worker from TypeScript sources takes a good part of a second). A start that fails is left to
   * run(), whose caller then does the work itself.
   */
  warm(size: number): void {
    try {
      while (this.workers.length < size) this.start();
    } catch {
      // run() reports it.
    }
  }

  /** Runs a job on the least busy of `size` workers, starting one while fewer run. */
  run(size: number, req: Req): Promise<Rep> {
    let w: PooledWorker<Rep> | undefined;
    if (this.workers.length < size) {
      try {
        w = this.start();
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    } else {
      for (const c of this.workers.slice(0, size)) if (!w || c.pending.size < w.pending.size) w = c;
    }
    return w!.run({ ...req, id: this.nextId++ });
  }

  /** Jobs sent and not yet answered. */
  get busy(): number {
    return this.workers.reduce((n, w) => n + w.pending.size, 0);
  }

  /** Stops every worker; the next job starts new ones. */
  async close(): Promise<void> {
    const all = this.workers.splice(0);
    await Promise.all(all.map((w) => w.worker.terminate()));
  }
}
