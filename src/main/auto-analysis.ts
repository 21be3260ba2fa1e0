/**
 * Automatic analysis of series received over DICOM (the `autoAnalyze` setting): one at a time
 * (a workstation may have two cores), each through the same `analysis.run` path the workspace
 * uses, with its state pushed to the study browser. A failure is shown on the series and written
 * to the audit log; a lock aborts the running one and forgets the rest (they name series).
 */
import type { ErrorCode } from '../common/errors';
import type { AutoAnalysis } from '../shared/dimse-contract';
import { toIpcError, type HandlerContext } from './ipc/router';

export interface AutoAnalysisDeps {
  /** Runs and stores the analysis of a series (the `analysis.run` handler). */
  run(key: string, ctx: HandlerContext): Promise<{ findings: number; analysedAt: string }>;
  /** Every state change (the app forwards it to the renderer). */
  emit(a: AutoAnalysis): void;
  /** Records a failure on the series' study (the audit log). */
  recordFailure(key: string, code: string, message: string): Promise<void>;
}

export class AutoAnalysisQueue {
  private readonly items = new Map<string, AutoAnalysis>();
  private readonly pending: string[] = [];
  private current: AbortController | null = null;
  private drained: Promise<void> = Promise.resolve();
  private draining = false;

  constructor(private readonly deps: AutoAnalysisDeps) {}

  /** Queues a received series; a series already waiting is not queued twice. */
  enqueue(key: string, receivedFrom: string): void {
    if (this.pending.includes(key)) return;
    this.pending.push(key);
    this.set({ key, receivedFrom, state: { kind: 'queued' } });
    if (!this.draining) this.drained = this.drain();
  }

  list(): AutoAnalysis[] {
    return [...this.items.values()];
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    return this.drained;
  }

  /** Aborts the running analysis and forgets every state (on vault lock). */
  clear(): void {
    this.pending.length = 0;
    this.current?.abort();
    this.items.clear();
  }

  private set(a: AutoAnalysis): void {
    this.items.set(a.key, a);
    this.deps.emit(a);
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      for (let key = this.pending.shift(); key !== undefined; key = this.pending.shift()) {
        await this.runOne(key);
      }
    } finally {
      this.draining = false;
    }
  }

  private async runOne(key: string): Promise<void> {
    const receivedFrom = this.items.get(key)?.receivedFrom ?? '';
    const ctrl = new AbortController();
    this.current = ctrl;
    this.set({ key, receivedFrom, state: { kind: 'running', done: 0, total: 1, stage: 'starting' } });
    try {
      const r = await this.deps.run(key, {
        signal: ctrl.signal,
        progress: (p) => {
          if (!ctrl.signal.aborted) this.set({ key, receivedFrom, state: { kind: 'running', ...p } });
        },
      });
      if (!ctrl.signal.aborted) this.set({ key, receivedFrom, state: { kind: 'done', ...r } });
    } catch (err) {
      if (ctrl.signal.aborted) return; // locked: nothing to show, nothing may be written
      const e = toIpcError('analysis.run', err);
      const code = (e.code.startsWith('IPC_') ? 'INTERNAL' : e.code) as ErrorCode | 'INTERNAL';
      this.set({ key, receivedFrom, state: { kind: 'failed', code, message: e.message } });
      await this.deps.recordFailure(key, code, e.message).catch(() => undefined);
    } finally {
      if (this.current === ctrl) this.current = null;
    }
  }
}
