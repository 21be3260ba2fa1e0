/**
 * The automatic retry of queued sends, on a fake clock: the backoff steps (1, 2, 5, 10, 15, 30
 * minutes, then every 30), an attempt at unlock, none after a lock, a new failure restarting the
 * schedule, and never two attempts at once. The delivery itself is tested against a real
 * storescp in tests/integration/dimse-settings-live.test.ts; here the attempt is a counter.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_RETRY_DELAYS_MS, retryDelayMs } from '../../src/core/dimse/retry-schedule';
import { SendRetryScheduler, type RetryOutcome } from '../../src/main/send-retry';

const MIN = 60_000;

class Session {
  vault: object | null = null;
  private readonly unlock = new Set<() => void>();
  private readonly lock = new Set<() => void>();
  current() {
    return this.vault;
  }
  onUnlock(l: () => void) {
    this.unlock.add(l);
  }
  onLock(l: () => void) {
    this.lock.add(l);
  }
  doUnlock() {
    this.vault = {};
    for (const l of this.unlock) l();
  }
  doLock() {
    this.vault = null;
    for (const l of this.lock) l();
  }
}

/** A queue of `queued` entries that a PACS accepts from attempt `upAt` (1-based) on. */
function queue(queued: number, upAt = Infinity) {
  const attempts: Array<{ at: number; automatic: boolean }> = [];
  let left = queued;
  let running = 0;
  let overlap = false;
  return {
    attempts,
    overlapped: () => overlap,
    add: () => (left += 1),
    count: () => Promise.resolve(left),
    attempt: async (_v: object, automatic: boolean): Promise<RetryOutcome> => {
      running += 1;
      if (running > 1) overlap = true;
      attempts.push({ at: Date.now(), automatic });
      await new Promise((r) => setTimeout(r, 10));
      running -= 1;
      const delivered = attempts.length >= upAt ? left : 0;
      left -= delivered;
      return {
        delivered,
        stillQueued: Array.from({ length: left }, () => ({
          destination: 'ARCHIVE@127.0.0.1:104',
          objects: 3,
          lastError: 'cannot reach ARCHIVE@127.0.0.1:104: connect ECONNREFUSED',
          attempts: attempts.length,
        })),
      };
    },
  };
}

describe('retry schedule', () => {
  it('backs off 1, 2, 5, 10, 15, 30 minutes and stays at 30', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 20].map((n) => retryDelayMs(n) / MIN)).toEqual([
      1, 2, 5, 10, 15, 30, 30, 30,
    ]);
    expect(retryDelayMs(-1)).toBe(DEFAULT_RETRY_DELAYS_MS[0]);
    expect(() => retryDelayMs(0, [])).toThrow(RangeError);
  });
});

describe('SendRetryScheduler', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('tries at unlock, then on the backoff schedule until delivered', async () => {
    const session = new Session();
    const q = queue(2, 5);
    const s = new SendRetryScheduler({ session, attempt: q.attempt, count: q.count });
    session.doUnlock();
    await vi.advanceTimersByTimeAsync(100);
    expect(q.attempts.map((a) => a.at)).toEqual([0]);
    expect(s.status()).toMatchObject({ queued: 2, nextAttemptAt: new Date(10 + 1 * MIN).toISOString() });
    await vi.advanceTimersByTimeAsync(60 * MIN);
    // attempts at 0, then 1, 2 and 5 minutes after each previous one ended; the 5th delivers.
    const starts = q.attempts.map((a) => Math.round(a.at / MIN));
    expect(starts).toEqual([0, 1, 3, 8, 18]);
    expect(q.attempts.every((a) => a.automatic)).toBe(true);
    expect(s.status()).toMatchObject({
      queued: 0,
      nextAttemptAt: null,
      lastAttempt: { automatic: true, delivered: 2, stillQueued: 0, error: null },
    });
    await vi.advanceTimersByTimeAsync(120 * MIN);
    expect(q.attempts).toHaveLength(5);
  });

  it('does nothing at unlock when the queue is empty; a queued send starts the schedule from 1 minute', async () => {
    const session = new Session();
    const q = queue(0);
    const s = new SendRetryScheduler({ session, attempt: q.attempt, count: q.count });
    session.doUnlock();
    await vi.advanceTimersByTimeAsync(10 * MIN);
    expect(q.attempts).toHaveLength(0);
    q.add();
    await s.queuedOne();
    await vi.advanceTimersByTimeAsync(1 * MIN + 100);
    expect(q.attempts.map((a) => Math.round(a.at / MIN))).toEqual([11]);
  });

  it('stops at lock and starts over at the next unlock', async () => {
    const session = new Session();
    const q = queue(1);
    const s = new SendRetryScheduler({ session, attempt: q.attempt, count: q.count });
    session.doUnlock();
    await vi.advanceTimersByTimeAsync(4 * MIN);
    expect(q.attempts).toHaveLength(3); // 0, 1, 3 min
    session.doLock();
    expect(s.status()).toEqual({ queued: 0, nextAttemptAt: null, lastAttempt: null });
    await vi.advanceTimersByTimeAsync(120 * MIN);
    expect(q.attempts).toHaveLength(3);
    session.doUnlock();
    await vi.advanceTimersByTimeAsync(1 * MIN + 100);
    // at unlock, then 1 minute later: the backoff started over.
    expect(q.attempts.slice(3).map((a) => a.at - 124 * MIN)).toEqual([0, 1 * MIN + 10]);
  });

  it('never runs two attempts at once: the button waits for the timer', async () => {
    const session = new Session();
    const q = queue(1, 2);
    const s = new SendRetryScheduler({ session, attempt: q.attempt, count: q.count, delaysMs: [5] });
    session.doUnlock();
    await vi.advanceTimersByTimeAsync(1); // the unlock's attempt is running
    const manual = s.retryNow(false);
    await vi.advanceTimersByTimeAsync(100);
    const r = await manual;
    expect(q.overlapped()).toBe(false);
    expect(r.delivered).toBe(1);
    expect(q.attempts.map((a) => a.automatic)).toEqual([true, false]);
    expect(s.status()).toMatchObject({ queued: 0, nextAttemptAt: null, lastAttempt: { automatic: false } });
  });

  it('shows an unreadable queue instead of taking it for an empty one', async () => {
    const session = new Session();
    const q = queue(1);
    const s = new SendRetryScheduler({
      session,
      attempt: q.attempt,
      count: () => Promise.reject(new Error('vault object damaged')),
    });
    session.doUnlock();
    await vi.advanceTimersByTimeAsync(10);
    expect(q.attempts).toHaveLength(0);
    expect(s.status().lastAttempt?.error).toBe('cannot read the queue of sends: vault object damaged');
  });
});
