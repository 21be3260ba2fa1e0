/**
 * The lock screen's state: is there a vault, is it unlocked, what went wrong. Every way of
 * becoming locked (button, hotkey, idle timer in the main process) ends in `cleared()`, which the
 * app binds to dropping every decrypted datum from the renderer.
 */
import { createStore } from 'zustand/vanilla';
import type { IpcError, IpcResult, PulmoLensApi } from '../../shared/ipc-contract';
import type { VaultLockReason, VaultStatus } from '../../shared/vault-contract';

export type VaultPhase =
  | { kind: 'checking' }
  /** the status call itself failed (the main process is unreachable) */
  | { kind: 'unavailable'; error: IpcError }
  | { kind: 'locked'; status: VaultStatus; lockedBy: VaultLockReason | null }
  | { kind: 'unlocked'; status: VaultStatus };

export interface VaultState {
  phase: VaultPhase;
  /** a create/unlock/keychain call is running */
  busy: boolean;
  /** why the last create/unlock/keychain/settings call failed */
  error: IpcError | null;
  check(): Promise<void>;
  create(passphrase: string, confirm: string): Promise<boolean>;
  unlock(passphrase: string): Promise<boolean>;
  unlockWithKeychain(): Promise<boolean>;
  enableKeychain(acceptWeakBackend: boolean): Promise<boolean>;
  lock(): Promise<void>;
  setIdleMinutes(minutes: number): Promise<boolean>;
  /** The main process says the vault locked (any reason). */
  locked(reason: VaultLockReason): void;
  clearError(): void;
}

export interface VaultStoreHooks {
  /** Drop every decrypted datum held in the renderer (stores, viewer caches). */
  cleared(): void;
  /** The vault just unlocked: load what it holds. */
  unlocked(): void;
}

export function createVaultStore(api: PulmoLensApi, hooks: VaultStoreHooks) {
  // Not resettable: this store owns the lock (its state says "locked"; it holds no patient data).
  return createStore<VaultState>()((set, get) => {
    const enter = (status: VaultStatus, lockedBy: VaultLockReason | null = null): void => {
      const was = get().phase.kind;
      if (status.unlocked) {
        set({ phase: { kind: 'unlocked', status }, error: null });
        if (was !== 'unlocked') hooks.unlocked();
      } else {
        // Cleared even when we thought we were locked already: never keep data by mistake.
        hooks.cleared();
        set({ phase: { kind: 'locked', status, lockedBy } });
      }
    };

    /** Runs a create/unlock-style call: busy while it runs, its error kept for the form. */
    const attempt = async (call: () => Promise<IpcResult<VaultStatus>>): Promise<boolean> => {
      if (get().busy) return false;
      set({ busy: true, error: null });
      try {
        const r = await call();
        if (!r.ok) {
          set({ error: r.error });
          return false;
        }
        enter(r.value);
        return true;
      } finally {
        set({ busy: false });
      }
    };

    return {
      phase: { kind: 'checking' },
      busy: false,
      error: null,

      async check() {
        const r = await api.invoke('vault.status', {});
        if (!r.ok) {
          hooks.cleared();
          set({ phase: { kind: 'unavailable', error: r.error } });
          return;
        }
        enter(r.value);
      },

      create: (passphrase, confirm) => attempt(() => api.invoke('vault.create', { passphrase, confirm })),
      unlock: (passphrase) => attempt(() => api.invoke('vault.unlock', { passphrase })),
      unlockWithKeychain: () => attempt(() => api.invoke('vault.unlockWithKeychain', {})),
      enableKeychain: (acceptWeakBackend) =>
        attempt(() => api.invoke('vault.enableKeychain', { acceptWeakBackend })),
      setIdleMinutes: (minutes) => attempt(() => api.invoke('vault.setIdleMinutes', { minutes })),

      async lock() {
        // Clear first: even if the call fails, the screen must not keep showing patient data.
        const phase = get().phase;
        if (phase.kind === 'unlocked') {
          hooks.cleared();
          set({
            phase: { kind: 'locked', status: { ...phase.status, unlocked: false }, lockedBy: 'manual' },
          });
        }
        const r = await api.invoke('vault.lock', {});
        if (r.ok) enter(r.value, 'manual');
      },

      locked(reason) {
        const phase = get().phase;
        if (phase.kind === 'unlocked') enter({ ...phase.status, unlocked: false }, reason);
        else if (phase.kind === 'locked') set({ phase: { ...phase, lockedBy: phase.lockedBy ?? reason } });
      },

      clearError: () => set({ error: null }),
    };
  });
}
