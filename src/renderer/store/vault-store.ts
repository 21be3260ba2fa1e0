/**
 * The lock screen's state: is there a vault, is it unlocked, what went wrong. Every way of
 * becoming locked (button, hotkey, idle timer in the main process) ends in `cleared()`, which the
 * app binds to dropping every decrypted datum from the renderer.
 */
import { createStore } from 'zustand/vanilla';
import type { IpcError, IpcResult, PulmoLensApi } from '../../shared/ipc-contract';
import type { VaultLockReason, VaultStatus } from '../../shared/vault-contract';
import type { Reader } from '../../common/reader';

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
  /**
   * The recovery code of a vault just created, shown once on the lock screen; the workspace opens
   * only when the reader confirms they wrote it down.
   */
  recoveryNotice: { code: string; status: VaultStatus } | null;
  check(): Promise<void>;
  create(passphrase: string, confirm: string, reader: Reader): Promise<boolean>;
  unlock(passphrase: string, reader: Reader): Promise<boolean>;
  unlockWithKeychain(reader: Reader): Promise<boolean>;
  recover(recoveryCode: string, passphrase: string, confirm: string, reader: Reader): Promise<boolean>;
  /** The reader wrote the recovery code down: forget it and open the workspace. */
  recoveryNoted(): void;
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
    const attempt = async <T extends VaultStatus>(
      call: () => Promise<IpcResult<T>>,
      then: (value: T) => void = (v) => enter(v),
    ): Promise<boolean> => {
      if (get().busy) return false;
      set({ busy: true, error: null });
      try {
        const r = await call();
        if (!r.ok) {
          set({ error: r.error });
          return false;
        }
        then(r.value);
        return true;
      } finally {
        set({ busy: false });
      }
    };

    return {
      phase: { kind: 'checking' },
      recoveryNotice: null,
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

      create: (passphrase, confirm, reader) =>
        attempt(
          () => api.invoke('vault.create', { passphrase, confirm, reader }),
          ({ recoveryCode, ...status }) => set({ recoveryNotice: { code: recoveryCode, status } }),
        ),
      recoveryNoted() {
        const n = get().recoveryNotice;
        set({ recoveryNotice: null });
        if (n) enter(n.status);
      },
      unlock: (passphrase, reader) => attempt(() => api.invoke('vault.unlock', { passphrase, reader })),
      unlockWithKeychain: (reader) => attempt(() => api.invoke('vault.unlockWithKeychain', { reader })),
      recover: (recoveryCode, passphrase, confirm, reader) =>
        attempt(() => api.invoke('vault.recover', { recoveryCode, passphrase, confirm, reader })),
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
        // An unlock the reader asked for meanwhile waited for this lock and has answered already:
        // this status is older than it.
        if (r.ok && get().phase.kind !== 'unlocked') enter(r.value, 'manual');
      },

      locked(reason) {
        set({ recoveryNotice: null });
        const phase = get().phase;
        if (phase.kind === 'unlocked') enter({ ...phase.status, unlocked: false }, reason);
        else if (phase.kind === 'locked') set({ phase: { ...phase, lockedBy: phase.lockedBy ?? reason } });
      },

      clearError: () => set({ error: null }),
    };
  });
}
