/**
 * The automatic-analysis queue's own rules (the end-to-end path is in
 * tests/integration/dimse-auto-analysis.test.ts): one analysis at a time in arrival order, a
 * series waiting is not queued twice, failures are shown and recorded, a lock aborts and forgets.
 */
import { describe, expect, it } from 'vitest';
import { PulmoLensError } from '../../src/common/errors';
import { AutoAnalysisQueue } from '../../src/main/auto-analysis';
import type { AutoAnalysis } from '../../src/shared/dimse-contract';
import type { HandlerContext } from '../../src/main/ipc/router';

function harness(behaviour: (key: string, ctx: HandlerContext) => Promise<void>) {
  const events: AutoAnalysis[] = [];
  const failures: Array<[string, string, string]> = [];
  let running = 0;
  let maxRunning = 0;
  const order: string[] = [];
  const queue = new AutoAnalysisQueue({
    run: async (key, ctx) => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      order.push(key);
      try {
        ctx.progress({ done: 1, total: 2, stage: 'analysing' });
        await behaviour(key, ctx);
        return { findings: 2, analysedAt: '2026-12-02T02:00:00.000Z' };
      } finally {
        running -= 1;
      }
    },
    emit: (a) => events.push(a),
    recordFailure: async (key, code, message) => void failures.push([key, code, message]),
  });
  return { queue, events, failures, order, maxRunning: () => maxRunning };
}

const tick = (ms = 5) => new Promise<void>((r) => setTimeout(r, ms));

describe('AutoAnalysisQueue', () => {
  it('runs one analysis at a time, in arrival order, and does not queue a waiting series twice', async () => {
    const h = harness(() => tick(20));
    h.queue.enqueue('s1', 'CT@10.0.0.1');
    h.queue.enqueue('s2', 'CT@10.0.0.1');
    h.queue.enqueue('s2', 'CT@10.0.0.1');
    h.queue.enqueue('s3', 'CT@10.0.0.1');
    await h.queue.idle();
    expect(h.order).toEqual(['s1', 's2', 's3']);
    expect(h.maxRunning()).toBe(1);
    expect(h.queue.list().map((a) => [a.key, a.state.kind])).toEqual([
      ['s1', 'done'],
      ['s2', 'done'],
      ['s3', 'done'],
    ]);
    const s1 = h.events.filter((e) => e.key === 's1').map((e) => e.state);
    expect(s1).toEqual([
      { kind: 'queued' },
      { kind: 'running', done: 0, total: 1, stage: 'starting' },
      { kind: 'running', done: 1, total: 2, stage: 'analysing' },
      { kind: 'done', findings: 2, analysedAt: '2026-12-02T02:00:00.000Z' },
    ]);
  });

  it('shows and records a failure with its code, then goes on with the next series', async () => {
    const h = harness(async (key) => {
      if (key === 'bad') throw new PulmoLensError('MODEL_MISSING', 'no manifest.json in /models');
    });
    h.queue.enqueue('bad', 'CT@10.0.0.1');
    h.queue.enqueue('good', 'CT@10.0.0.1');
    await h.queue.idle();
    expect(h.queue.list().find((a) => a.key === 'bad')!.state).toEqual({
      kind: 'failed',
      code: 'MODEL_MISSING',
      message: 'no manifest.json in /models',
    });
    expect(h.failures).toEqual([['bad', 'MODEL_MISSING', 'no manifest.json in /models']]);
    expect(h.queue.list().find((a) => a.key === 'good')!.state.kind).toBe('done');
  });

  it('a lock aborts the running analysis and forgets the queue without recording a failure', async () => {
    let aborted = false;
    const h = harness(
      (_key, ctx) =>
        new Promise<void>((_resolve, reject) =>
          ctx.signal.addEventListener('abort', () => {
            aborted = true;
            reject(new DOMException('aborted', 'AbortError'));
          }),
        ),
    );
    h.queue.enqueue('s1', 'CT@10.0.0.1');
    h.queue.enqueue('s2', 'CT@10.0.0.1');
    await tick();
    h.queue.clear();
    await h.queue.idle();
    expect(aborted).toBe(true);
    expect(h.order).toEqual(['s1']);
    expect(h.queue.list()).toEqual([]);
    expect(h.failures).toEqual([]);
  });
});
