/**
 * Binds the router to Electron IPC. One invoke channel carries (channel, payload); the router does
 * the dispatch and validation. Calls from any frame other than our own top-level app page are
 * refused before they reach the router.
 */
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import {
  IPC_EVENT,
  IPC_INVOKE,
  type EventName,
  type EventPayloads,
  type IpcResult,
} from '../../shared/ipc-contract';
import { isTrustedSender } from '../security';
import type { Router } from './router';

function senderIsTrusted(e: IpcMainInvokeEvent): boolean {
  const frame = e.senderFrame;
  return frame !== null && isTrustedSender(frame.url, frame === e.sender.mainFrame);
}

export function bindRouterToIpc(router: Router): () => void {
  ipcMain.handle(IPC_INVOKE, async (e, channel: unknown, payload: unknown): Promise<IpcResult<unknown>> => {
    if (!senderIsTrusted(e)) {
      return {
        ok: false,
        error: { code: 'IPC_FORBIDDEN', message: 'IPC refused: the sender is not the PulmoLens app page' },
      };
    }
    return router.invoke(channel, payload);
  });
  return () => ipcMain.removeHandler(IPC_INVOKE);
}

/** Event sink for the router: forwards progress to the app window only. */
export function eventSender(getTarget: () => WebContents | null) {
  return <E extends EventName>(event: E, payload: EventPayloads[E]): void => {
    const wc = getTarget();
    if (wc && !wc.isDestroyed()) wc.send(IPC_EVENT, event, payload);
  };
}
