/**
 * The app's one vault session: which vault folder, whether it is unlocked, and who must hear when
 * it locks. Every main-process feature that reads or writes patient data asks this holder for the
 * UnlockedVault (`require()`), so nothing can touch data while the vault is locked. Electron-free
 * on purpose: the Electron main process and the test host build it the same way.
 */
import { PulmoLensError } from '../common/errors';
import { readerLabel, type Reader } from '../common/reader';
import {
  createVault,
  DEFAULT_IDLE_LOCK_MS,
  isVault,
  openVault,
  openVaultWithOsKey,
  recoverVault,
  WEAK_BACKENDS,
  type CreateVaultOptions,
  type KdfCost,
  type LockReason,
  type OsKeyProtector,
  type UnlockedVault,
} from '../core/vault';
import { readHeader } from '../core/vault/header';

export type UnlockVia = 'created' | 'passphrase' | 'keychain';

export interface VaultSessionEvents {
  unlock: (vault: UnlockedVault, via: UnlockVia) => void;
  lock: (reason: LockReason) => void;
}

export interface VaultSessionOptions {
  dir: string;
  /** OS keychain (Electron safeStorage); null where there is none (test host, CLI). */
  protector?: OsKeyProtector | null;
  idleLockMs?: number;
  /**
   * Argon2id cost for new vaults. Only the test host lowers it (with allowWeakKdf), so e2e tests
   * that are not about the KDF do not spend 64 MiB and seconds of CPU per vault.
   */
  kdf?: Partial<KdfCost>;
  allowWeakKdf?: boolean;
}

export interface KeychainStatus {
  available: boolean;
  backend: string | null;
  /** the backend stores secrets with a fixed key (basic_text): passphrase-free unlock refused */
  weak: boolean;
}

export class VaultSessionHolder {
  readonly dir: string;
  private vault: UnlockedVault | null = null;
  private detach: (() => void) | null = null;
  private idleLockMs: number;
  private opening: Promise<UnlockedVault> | null = null;
  /** A lock still finishing (in-flight writes, the audit entry, the writer lock). */
  private closing: Promise<void> | null = null;
  private readerLabel: string | null = null;
  /**
   * The idle timer lives here, not in the vault: the user is active in the renderer (scrolling a
   * decoded volume) without any vault call, and a new idle time applies at once.
   */
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly unlockListeners = new Set<VaultSessionEvents['unlock']>();
  private readonly lockListeners = new Set<VaultSessionEvents['lock']>();
  private readonly forgetListeners = new Set<() => void>();

  constructor(private readonly opts: VaultSessionOptions) {
    this.dir = opts.dir;
    this.idleLockMs = opts.idleLockMs ?? DEFAULT_IDLE_LOCK_MS;
  }

  /** The unlocked vault, or null while locked. */
  current(): UnlockedVault | null {
    return this.vault && !this.vault.locked ? this.vault : null;
  }

  /**
   * The unlocked vault; throws VAULT_LOCKED while locked. Use it in every handler that needs
   * data; each call counts as activity for the idle lock.
   */
  require(): UnlockedVault {
    const v = this.current();
    if (!v) throw new PulmoLensError('VAULT_LOCKED', 'the vault is locked', { path: this.dir });
    this.touch();
    return v;
  }

  get unlocked(): boolean {
    return this.current() !== null;
  }

  get idleMinutes(): number {
    return this.idleLockMs / 60_000;
  }

  exists(): Promise<boolean> {
    return isVault(this.dir);
  }

  keychain(): KeychainStatus {
    const p = this.opts.protector;
    if (!p) return { available: false, backend: null, weak: false };
    let available = false;
    let backend: string | null = null;
    try {
      available = p.isAvailable();
      backend = p.backend();
    } catch {
      available = false;
    }
    return { available, backend, weak: backend !== null && WEAK_BACKENDS.has(backend) };
  }

  /** Whether the vault holds a keychain-wrapped data key (readable while locked: no PHI in it). */
  async keychainEnabled(): Promise<boolean> {
    const v = this.current();
    if (v) return v.osUnlock !== null;
    try {
      return (await readHeader(this.dir)).osWrap !== null;
    } catch {
      return false;
    }
  }

  onUnlock(l: VaultSessionEvents['unlock']): () => void {
    this.unlockListeners.add(l);
    return () => this.unlockListeners.delete(l);
  }

  /**
   * Caches of decrypted data (decoded volumes, thumbnails) register here: they are dropped when
   * the vault locks and when stored data goes away (a deleted study).
   */
  onForget(l: () => void): () => void {
    this.forgetListeners.add(l);
    return () => this.forgetListeners.delete(l);
  }

  /** Tells every cache to drop what it holds (called after a delete). */
  forget(): void {
    for (const l of this.forgetListeners) {
      try {
        l();
      } catch {
        // a cache that fails to clear must not stop the others
      }
    }
  }

  onLock(l: VaultSessionEvents['lock']): () => void {
    this.lockListeners.add(l);
    return () => this.lockListeners.delete(l);
  }

  /** The reader who unlocked, as reviews, reports and audit entries name them; null while locked. */
  reader(): string | null {
    return this.current() ? this.readerLabel : null;
  }

  /** `recoveryCode` (from newRecoveryCode) is shown to the user once by the caller. */
  async create(passphrase: string, reader?: Reader, recoveryCode?: string): Promise<UnlockedVault> {
    const extra: CreateVaultOptions = {
      idleLockMs: 0,
      ...(recoveryCode ? { recoveryCode } : {}),
      ...this.actor(reader),
      ...(this.opts.kdf ? { kdf: this.opts.kdf } : {}),
      ...(this.opts.allowWeakKdf ? { allowWeakKdf: true } : {}),
    };
    return this.adopt(() => createVault(this.dir, passphrase, extra), 'created', reader);
  }

  unlock(passphrase: string, reader?: Reader): Promise<UnlockedVault> {
    return this.adopt(
      () => openVault(this.dir, passphrase, { idleLockMs: 0, ...this.actor(reader) }),
      'passphrase',
      reader,
    );
  }

  /** Sets a new passphrase with the recovery code shown at creation, and unlocks. */
  recover(recoveryCode: string, newPassphrase: string, reader?: Reader): Promise<UnlockedVault> {
    return this.adopt(
      () =>
        recoverVault(this.dir, recoveryCode, newPassphrase, {
          idleLockMs: 0,
          ...this.actor(reader),
          ...(this.opts.kdf ? { kdf: this.opts.kdf } : {}),
          ...(this.opts.allowWeakKdf ? { allowWeakKdf: true } : {}),
        }),
      'passphrase',
      reader,
    );
  }

  private actor(reader: Reader | undefined): { actor?: string } {
    return reader ? { actor: readerLabel(reader) } : {};
  }

  unlockWithKeychain(reader?: Reader): Promise<UnlockedVault> {
    const p = this.opts.protector;
    if (!p) {
      return Promise.reject(
        new PulmoLensError('VAULT_KEYCHAIN_REFUSED', 'no OS keychain is available in this process', {
          path: this.dir,
        }),
      );
    }
    return this.adopt(
      () => openVaultWithOsKey(this.dir, p, { idleLockMs: 0, ...this.actor(reader) }),
      'keychain',
      reader,
    );
  }

  /** Enables passphrase-free unlock on the current vault (refused for basic_text unless accepted). */
  async enableKeychain(acceptWeakBackend: boolean): Promise<void> {
    const p = this.opts.protector;
    if (!p) {
      throw new PulmoLensError('VAULT_KEYCHAIN_REFUSED', 'no OS keychain is available in this process', {
        path: this.dir,
      });
    }
    await this.require().enableOsUnlock(p, { acceptWeakBackend });
  }

  async lock(reason: LockReason = 'manual'): Promise<void> {
    const v = this.vault;
    if (!v) return;
    // The vault's own onLock listener (attached in adopt) clears the holder and tells ours.
    if (!this.closing) {
      const closing = v.lock(reason).finally(() => {
        if (this.closing === closing) this.closing = null;
      });
      this.closing = closing;
    }
    await this.closing;
  }

  /** Applies at once: the timer restarts with the new idle time. */
  setIdleMinutes(minutes: number): void {
    this.idleLockMs = Math.round(minutes * 60_000);
    this.touch();
  }

  /** Keeps the session alive while the user works (renderer activity, long tasks). */
  touch(): void {
    this.stopIdleTimer();
    if (!this.current() || !(this.idleLockMs > 0) || !Number.isFinite(this.idleLockMs)) return;
    this.idleTimer = setTimeout(() => void this.lock('idle').catch(() => undefined), this.idleLockMs);
    // The idle timer alone must not keep a process (test host, tools) alive.
    this.idleTimer.unref();
  }

  private stopIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private async adopt(
    open: () => Promise<UnlockedVault>,
    via: UnlockVia,
    reader?: Reader,
  ): Promise<UnlockedVault> {
    // An unlock asked for while a lock is finishing (the lock screen shows at once) waits for it.
    if (this.closing) await this.closing.catch(() => undefined);
    if (this.current()) {
      throw new PulmoLensError('INVALID_INPUT', 'the vault is already unlocked', { path: this.dir });
    }
    if (this.opening) {
      throw new PulmoLensError('VAULT_BUSY', 'the vault is being unlocked already', { path: this.dir });
    }
    // Results of studies deleted by versions whose delete did not cascade go at unlock
    // (audit-logged); if that fails the vault still opens and `verify` names what is left.
    this.opening = open().then(async (opened) => {
      await opened.collectOrphans().catch(() => undefined);
      return opened;
    });
    let v: UnlockedVault;
    try {
      v = await this.opening;
    } finally {
      this.opening = null;
    }
    this.vault = v;
    this.readerLabel = reader ? readerLabel(reader) : null;
    this.touch();
    this.detach = v.onLock((reason) => {
      this.stopIdleTimer();
      if (this.vault === v) {
        this.vault = null;
        this.detach?.();
        this.detach = null;
      }
      this.forget();
      for (const l of this.lockListeners) {
        try {
          l(reason);
        } catch {
          // one failing listener must not keep others from clearing their data
        }
      }
    });
    for (const l of this.unlockListeners) {
      try {
        l(v, via);
      } catch {
        // listeners are best-effort observers
      }
    }
    return v;
  }
}
