/**
 * The IPC router: every payload is validated against the contract before a handler runs, and no
 * outcome ever escapes as an exception to the transport.
 */
import { describe, expect, it } from 'vitest';
import { PulmoLensError } from '../../src/common/errors';
import { createRouter, type Handlers } from '../../src/main/ipc/router';
import type { EventPayloads } from '../../src/shared/ipc-contract';

function recordingHandlers(overrides: Partial<Handlers> = {}) {
  const calls: { channel: string; request: unknown }[] = [];
  const record =
    <T>(channel: string, value: T) =>
    (request: unknown) => {
      calls.push({ channel, request });
      return value;
    };
  const handlers = {
    'app.info': record('app.info', { name: 'test', version: '0', nativeDialogs: false }),
    'dialog.openFolder': record('dialog.openFolder', { paths: null }),
    'dicom.scan': record('dicom.scan', { series: [], skipped: [] }),
    'dicom.loadSeries': () => {
      throw new Error('not used');
    },
    'dicom.volumePixels': record('dicom.volumePixels', new ArrayBuffer(4)),
    'dicom.thumbnail': record('dicom.thumbnail', { width: 1, height: 1, gray: [0] }),
    ...overrides,
  } as Handlers; // channels a test does not call need no handler
  return { handlers, calls };
}

const noEmit = () => {};

describe('router validation', () => {
  it('passes a valid request to its handler and wraps the value', async () => {
    const { handlers, calls } = recordingHandlers();
    const router = createRouter(handlers, noEmit);
    const r = await router.invoke('dicom.scan', { paths: ['/data/ct'] });
    expect(r).toEqual({ ok: true, value: { series: [], skipped: [] } });
    expect(calls).toEqual([{ channel: 'dicom.scan', request: { paths: ['/data/ct'] } }]);
  });

  it('applies schema defaults before the handler sees the request', async () => {
    const { handlers, calls } = recordingHandlers();
    await createRouter(handlers, noEmit).invoke('dicom.thumbnail', { key: 'abc' });
    expect(calls[0]?.request).toEqual({ key: 'abc', size: 96 });
  });

  it.each([
    ['missing field', 'dicom.scan', {}, 'paths'],
    ['wrong type', 'dicom.scan', { paths: 'not-an-array' }, 'paths'],
    ['empty list', 'dicom.scan', { paths: [] }, 'paths'],
    ['empty string element', 'dicom.scan', { paths: [''] }, 'paths.0'],
    ['unknown extra key', 'dicom.loadSeries', { key: 'k', evil: true }, '(request)'],
    ['bad task id', 'dicom.loadSeries', { key: 'k', taskId: '../../etc' }, 'taskId'],
    ['thumbnail too large', 'dicom.thumbnail', { key: 'k', size: 100000 }, 'size'],
    ['non-integer size', 'dicom.thumbnail', { key: 'k', size: 12.5 }, 'size'],
    ['string payload', 'dicom.scan', 'rm -rf /', '(request)'],
    ['array payload', 'app.info', [1, 2], '(request)'],
    ['number payload', 'task.cancel', 42, '(request)'],
  ])(
    'rejects %s with a typed IPC_INVALID_PAYLOAD and never calls the handler',
    async (_name, channel, payload, path) => {
      const { handlers, calls } = recordingHandlers();
      const r = await createRouter(handlers, noEmit).invoke(channel, payload);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.error.code).toBe('IPC_INVALID_PAYLOAD');
      expect(r.error.message).toContain(channel);
      expect(r.error.issues?.map((i) => i.path)).toContain(path);
      expect(calls).toEqual([]);
    },
  );

  it('treats a missing payload as an empty object (valid for no-argument channels only)', async () => {
    const { handlers } = recordingHandlers();
    const router = createRouter(handlers, noEmit);
    expect((await router.invoke('app.info', undefined)).ok).toBe(true);
    const r = await router.invoke('dicom.scan', undefined);
    expect(r.ok ? null : r.error.code).toBe('IPC_INVALID_PAYLOAD');
  });

  it.each([['nope'], ['__proto__'], ['constructor'], [42], [null], [{ channel: 'app.info' }]])(
    'rejects unknown channel %j',
    async (channel) => {
      const { handlers, calls } = recordingHandlers();
      const r = await createRouter(handlers, noEmit).invoke(channel, {});
      expect(r.ok ? null : r.error.code).toBe('IPC_UNKNOWN_CHANNEL');
      expect(calls).toEqual([]);
    },
  );
});

describe('router errors', () => {
  it('turns a PulmoLensError into its code, message and path', async () => {
    const { handlers } = recordingHandlers({
      'dicom.scan': () => {
        throw new PulmoLensError('DICOM_MALFORMED', 'tag (0028,0010) has length 7', { path: '/x/a.dcm' });
      },
    });
    const r = await createRouter(handlers, noEmit).invoke('dicom.scan', { paths: ['/x'] });
    expect(r).toEqual({
      ok: false,
      error: { code: 'DICOM_MALFORMED', message: 'tag (0028,0010) has length 7', path: '/x/a.dcm' },
    });
  });

  it('turns any other exception (sync or async) into INTERNAL without throwing', async () => {
    const { handlers } = recordingHandlers({
      'dicom.scan': async () => {
        throw new TypeError('boom');
      },
      'app.info': () => {
        throw 'a string';
      },
    });
    const router = createRouter(handlers, noEmit);
    const a = await router.invoke('dicom.scan', { paths: ['/x'] });
    expect(a).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'dicom.scan: boom' } });
    const b = await router.invoke('app.info', {});
    expect(b.ok ? null : b.error.code).toBe('INTERNAL');
  });
});

describe('router tasks', () => {
  it('reports progress under the caller task id and cancels through task.cancel', async () => {
    const events: EventPayloads['task.progress'][] = [];
    let started!: () => void;
    const running = new Promise<void>((ok) => (started = ok));
    const { handlers } = recordingHandlers({
      'dicom.scan': (_req, ctx) =>
        new Promise((_ok, fail) => {
          ctx.progress({ done: 1, total: 10, stage: 'reading' });
          ctx.signal.addEventListener('abort', () => fail(new PulmoLensError('CANCELLED', 'scan cancelled')));
          started();
        }),
    });
    const router = createRouter(handlers, (event, payload) => {
      if (event === 'task.progress') events.push(payload as EventPayloads['task.progress']);
    });
    const pending = router.invoke('dicom.scan', { paths: ['/x'], taskId: 'scan-1' });
    await running;
    expect(events).toEqual([{ taskId: 'scan-1', done: 1, total: 10, stage: 'reading' }]);
    expect(await router.invoke('task.cancel', { taskId: 'scan-1' })).toEqual({
      ok: true,
      value: { cancelled: true },
    });
    expect(await pending).toEqual({ ok: false, error: { code: 'CANCELLED', message: 'scan cancelled' } });
    // Finished tasks are forgotten.
    expect(await router.invoke('task.cancel', { taskId: 'scan-1' })).toEqual({
      ok: true,
      value: { cancelled: false },
    });
  });

  it('emits no progress when the caller gave no task id', async () => {
    const events: unknown[] = [];
    const { handlers } = recordingHandlers({
      'dicom.scan': (_req, ctx) => {
        ctx.progress({ done: 1, total: 1, stage: 'x' });
        return { series: [], skipped: [] };
      },
    });
    await createRouter(handlers, (_e, p) => events.push(p)).invoke('dicom.scan', { paths: ['/x'] });
    expect(events).toEqual([]);
  });

  it('dispose aborts every running task', async () => {
    let signal!: AbortSignal;
    const { handlers } = recordingHandlers({
      'dicom.loadSeries': (_req, ctx) =>
        new Promise((_ok, fail) => {
          signal = ctx.signal;
          ctx.signal.addEventListener('abort', () =>
            fail(Object.assign(new Error('aborted'), { name: 'AbortError' })),
          );
        }),
    });
    const router = createRouter(handlers, noEmit);
    const pending = router.invoke('dicom.loadSeries', { key: 'k', taskId: 't' });
    await Promise.resolve();
    router.dispose();
    expect(signal.aborted).toBe(true);
    const r = await pending;
    expect(r.ok ? null : r.error.code).toBe('CANCELLED');
  });
});
