/**
 * The preload exposes exactly the IPC contract as `window.api` (invoke + on), nothing else of
 * Electron or Node. It runs sandboxed, so it imports only types and electron.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import type { EventName, EventPayloads, PulmoLensApi } from '../shared/ipc-contract';
import { IPC_EVENT, IPC_INVOKE } from '../shared/ipc-channels';

const listeners = new Map<string, Set<(payload: unknown) => void>>();
ipcRenderer.on(IPC_EVENT, (_e, event: string, payload: unknown) => {
  for (const l of listeners.get(event) ?? []) l(payload);
});

const api: PulmoLensApi = {
  invoke: (channel, request) => ipcRenderer.invoke(IPC_INVOKE, channel, request),
  on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void) {
    const set = listeners.get(event) ?? new Set();
    const l = listener as (payload: unknown) => void;
    set.add(l);
    listeners.set(event, set);
    return () => set.delete(l);
  },
  pathForFile: (file) => {
    try {
      return webUtils.getPathForFile(file) || null;
    } catch {
      return null;
    }
  },
};

contextBridge.exposeInMainWorld('api', api);
