/**
 * Delivers the vault's queue of failed sends without anyone pressing a button: once at unlock,
 * then on the backoff schedule (src/core/dimse/retry-schedule.ts) while anything is queued and the
 * vault stays unlocked; a lock stops it. A newly queued send starts the schedule from its first
 * step. Attempts never overlap (the manual "Retry queued sends" waits for a running one), since
 * two at once would send the same objects twice.
 */
import { PulmoLensError } from '../common/errors';
import { DEFAULT_RETRY_DELAYS_MS, retryDelayMs } from '../core/dimse/retry-schedule';
import type { SendQueueStatus } from '../shared/dimse-contract';

export type { SendQueueStatus };

export interface RetryOutcome {
  delivered: number;
  stillQueued: Array<{ destination: string; objects: number; lastError: string; attempts: number }>;
}

/** What the scheduler needs of the vault session (VaultSessionHolder in the app). */
export interface RetrySession<V> {
  current(): V | null;
  onUnlock(l: () => void): unknown;
  onLock(l: () => void): unknown;
}

export interface SendRetryOptions<V> {
  session: RetrySession<V>;
  /** Tries every queued entry once (retryOutbox with the current settings). */
  attempt(v: V, automatic: boolean): Promise<RetryOutcome>;
  /** How many entries are queued. */
  count(v: V): Promise<number>;
  delaysMs?: readonly number[];
  /** The status changed (queue count, next attempt, an attempt's outcome). */
  onChange?(s: SendQueueStatus): void;
}

export class SendRetryScheduler<V> {
  private step = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private nextAt: number | null = null;
  private running: Promise<RetryOutcome> | null = null;
  private queued = 0;
  private last: SendQueueStatus['lastAttempt'] = null;
  private readonly delays: readonly number[];
  private generation = 0;

  constructor(private readonly opts: SendRetryOptions<V>) {
    this.delays = opts.delaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    opts.session.onUnlock(() => void this.unlocked());
    opts.session.onLock(() => this.stop());
  }

  status(): SendQueueStatus {
    return {
      queued: this.queued,
      nextAttemptAt: this.nextAt === null ? null : new Date(this.nextAt).toISOString(),
      lastAttempt: this.last,
    };
  }

  /** A send failed and was queued: try again after the schedule's first delay. */
  async queuedOne(): Promise<void> {
    const v = this.opts.session.current();
    if (!v) return;
    this.queued = await this.opts.count(v);
    this.step = 0;
    this.plan();
  }

  /** One attempt now (the button, or the timer); waits for a running one instead of overlapping. */
  async retryNow(automatic = false): Promise<RetryOutcome> {
    if (this.running) {
      const outcome = await this.running.catch(() => null);
      if (outcome && automatic) return outcome;
    }
    const v = this.opts.session.current();
    if (!v) throw new PulmoLensError('VAULT_LOCKED', 'unlock the vault to send its queued results');
    const gen = this.generation;
    const run = this.opts.attempt(v, automatic);
    this.running = run;
    try {
      const outcome = await run;
      if (gen !== this.generation) return outcome;
      this.queued = outcome.stillQueued.length;
      this.last = {
        at: new Date().toISOString(),
        automatic,
        delivered: outcome.delivered,
        stillQueued: outcome.stillQueued.length,
        error: outcome.stillQueued[0]?.lastError ?? null,
      };
      return outcome;
    } catch (e) {
      if (gen === this.generation) {
        this.last = {
          at: new Date().toISOString(),
          automatic,
          delivered: 0,
          stillQueued: this.queued,
          error: e instanceof Error ? e.message : String(e),
        };
      }
      throw e;
    } finally {
      if (this.running === run) this.running = null;
      if (gen === this.generation) {
        // A manual success empties the plan; a failure keeps the backoff where it was.
        if (!automatic && this.queued > 0) this.step = 0;
        this.plan();
      }
    }
  }

  stop(): void {
    this.generation += 1;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.nextAt = null;
    this.step = 0;
    this.queued = 0;
    this.last = null;
    this.opts.onChange?.(this.status());
  }

  private async unlocked(): Promise<void> {
    const v = this.opts.session.current();
    if (!v) return;
    const gen = this.generation;
    try {
      this.queued = await this.opts.count(v);
    } catch (e) {
      // An unreadable queue is shown, not taken for an empty one.
      this.queued = 0;
      this.last = {
        at: new Date().toISOString(),
        automatic: true,
        delivered: 0,
        stillQueued: 0,
        error: `cannot read the queue of sends: ${e instanceof Error ? e.message : String(e)}`,
      };
    }
    if (gen !== this.generation) return;
    if (this.queued > 0) await this.retryNow(true).catch(() => undefined);
    else this.opts.onChange?.(this.status());
  }

  private plan(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.nextAt = null;
    if (this.queued > 0 && this.opts.session.current()) {
      const delay = retryDelayMs(this.step, this.delays);
      this.step += 1;
      this.nextAt = Date.now() + delay;
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.retryNow(true).catch(() => undefined);
      }, delay);
      // A planned retry must not keep a CLI or test process alive.
      this.timer.unref?.();
    }
    this.opts.onChange?.(this.status());
  }
}
