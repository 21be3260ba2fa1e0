/// <reference types="vite/client" />
import type { PulmoLensApi } from '../shared/ipc-contract';

declare global {
  interface Window {
    /** Exposed by the preload (Electron) or the test host's shim (browser tests); nothing else. */
    readonly api: PulmoLensApi;
  }
}
