/**
 * The typed IPC router: channel name -> handler, every payload validated with the contract's zod
 * schema first. It never throws to the transport: every outcome is an IpcResult, so a bad or
 * hostile payload can only ever produce a typed error. Transport-agnostic on purpose (no Electron
 * import): Electron's ipcMain and the 127.0.0.1 test host bind this same object.
 */
import { ZodError } from 'zod';
import { isPulmoLensError } from '../../common/errors';
import {
  channels,
  requestSchemas,
  type Channel,
  type ChannelResponse,
  type EventName,
  type EventPayloads,
  type IpcError,
  type IpcResult,
  type ValidRequest,
} from '../../shared/ipc-contract';

export interface HandlerContext {
  /** Aborted by `task.cancel` with this call's taskId (or when the router is disposed). */
  signal: AbortSignal;
  /** Progress reporter bound to this call's taskId; a no-op when the caller gave none. */
  progress: (p: { done: number; total: number; stage: string }) => void;
}

export type Handler<C extends Channel> = (
  request: ValidRequest<C>,
  ctx: HandlerContext,
) => Promise<ChannelResponse<C>> | ChannelResponse<C>;

/** The router implements `task.cancel` itself; every other channel needs a handler. */
export type RoutedChannel = Exclude<Channel, 'task.cancel'>;
export type Handlers = { [C in RoutedChannel]: Handler<C> };

export type Emit = <E extends EventName>(event: E, payload: EventPayloads[E]) => void;

export interface Router {
  invoke(channel: unknown, payload: unknown): Promise<IpcResult<unknown>>;
  /** Abort every running task (window closed, host stopped). */
  dispose(): void;
}

const knownChannels = new Set<string>(channels);

export function createRouter(handlers: Handlers, emit: Emit): Router {
  const running = new Map<string, AbortController>();

  async function dispatch(channel: Channel, payload: unknown): Promise<unknown> {
    const request = requestSchemas[channel].parse(payload ?? {});
    if (channel === 'task.cancel') {
      const { taskId } = request as ValidRequest<'task.cancel'>;
      const ctrl = running.get(taskId);
      ctrl?.abort();
      return { cancelled: ctrl !== undefined } satisfies ChannelResponse<'task.cancel'>;
    }
    const taskId = (request as { taskId?: string }).taskId;
    const ctrl = new AbortController();
    if (taskId !== undefined) {
      running.get(taskId)?.abort();
      running.set(taskId, ctrl);
    }
    const ctx: HandlerContext = {
      signal: ctrl.signal,
      progress: taskId === undefined ? () => {} : (p) => emit('task.progress', { taskId, ...p }),
    };
    try {
      const handler = handlers[channel] as Handler<RoutedChannel>;
      return await handler(request as never, ctx);
    } finally {
      if (taskId !== undefined && running.get(taskId) === ctrl) running.delete(taskId);
    }
  }

  return {
    async invoke(channel, payload) {
      if (typeof channel !== 'string' || !knownChannels.has(channel)) {
        return fail({
          code: 'IPC_UNKNOWN_CHANNEL',
          message: `unknown IPC channel ${JSON.stringify(String(channel)).slice(0, 80)}`,
        });
      }
      try {
        return { ok: true, value: await dispatch(channel as Channel, payload) };
      } catch (err) {
        return fail(toIpcError(channel, err));
      }
    },
    dispose() {
      for (const ctrl of running.values()) ctrl.abort();
      running.clear();
    },
  };
}

function fail(error: IpcError): IpcResult<never> {
  return { ok: false, error };
}

/** Maps anything a handler can throw to the contract's error shape; stack traces stay in main. */
export function toIpcError(channel: string, err: unknown): IpcError {
  if (err instanceof ZodError) {
    const issues = err.issues.map((i) => ({
      path: i.path.map(String).join('.') || '(request)',
      message: i.message,
    }));
    return {
      code: 'IPC_INVALID_PAYLOAD',
      message: `${channel}: invalid request: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      issues,
    };
  }
  if (isPulmoLensError(err)) {
    // A settings error names the field to change, so the form can show it there.
    const field = err.details?.['field'];
    return {
      code: err.code,
      message: err.message,
      ...(err.path ? { path: err.path } : {}),
      ...(typeof field === 'string' ? { issues: [{ path: field, message: err.message }] } : {}),
    };
  }
  if (err instanceof Error && err.name === 'AbortError') {
    return { code: 'CANCELLED', message: `${channel}: cancelled` };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message: `${channel}: ${message}` };
}
