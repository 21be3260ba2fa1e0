/**
 * An unlocked vault's session: the keys held in memory, the decrypted index, the audit log
 * handle, the idle timer, and the rules every operation runs under (refused when locked, tracked
 * until it settles so lock() never wipes a key in use, writes serialised). The operation modules
 * (catalogue, object-store, dicom-series, removal, key-wrapping, verify) take this state.
 */
import { resolve } from 'node:path';
import { PulmoLensError } from '../../common/errors';
import { wipe } from './crypto';
import type { VaultHeader } from './header';
import { emptyIndex, type IndexDoc } from './index-file';
import { AuditLog, readAuditLog, type AuditEntry, type AuditEvent } from './audit-log';

export const DEFAULT_IDLE_LOCK_MS = 15 * 60 * 1000;

export interface VaultOptions {
  /** Lock after this long without use; default 15 minutes; 0 disables (CLI one-shot commands). */
  idleLockMs?: number;
  /** Who audit entries name (the reader entered at unlock); the OS account when absent. */
  actor?: string;
}

export type LockReason = 'manual' | 'idle';

/** What the app's session layer needs: lock it, hear when it locks, keep it alive while in use. */
export interface VaultSession {
  readonly locked: boolean;
  lock(reason?: LockReason): Promise<void>;
  onLock(listener: (reason: LockReason) => void): () => void;
  touch(): void;
}

export interface Keys {
  index: Buffer;
  audit: Buffer;
  objectWrap: Buffer;
}

/** @internal the state the vault's operation modules share; reached only through UnlockedVault */
export class VaultSessionState implements VaultSession {
  keys: Keys | null;
  dataKey: Buffer | null;
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly listeners = new Set<(reason: LockReason) => void>();
  private queue: Promise<unknown> = Promise.resolve();
  /** operations in flight; lock() waits for them before it wipes the keys they use */
  private readonly pending = new Set<Promise<unknown>>();
  private locking: Promise<void> | null = null;
  private readonly idleLockMs: number;
  readonly vaultId: string;
  readonly dir: string;

  constructor(
    dir: string,
    public header: VaultHeader,
    dataKey: Buffer,
    keys: Keys,
    public index: IndexDoc,
    readonly audit: AuditLog | null,
    private release: (() => Promise<void>) | null,
    opts: VaultOptions,
  ) {
    this.dir = resolve(dir);
    this.vaultId = header.vaultId;
    this.dataKey = dataKey;
    this.keys = keys;
    this.idleLockMs = opts.idleLockMs ?? DEFAULT_IDLE_LOCK_MS;
    this.touch();
  }

  get locked(): boolean {
    return this.keys === null;
  }

  get readOnly(): boolean {
    return this.audit === null;
  }
  touch(): void {
    if (this.locked) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.idleLockMs > 0 && Number.isFinite(this.idleLockMs)) {
      this.idleTimer = setTimeout(() => {
        void this.lock('idle').catch(() => undefined);
      }, this.idleLockMs);
      // An idle timer must never keep a CLI process alive.
      this.idleTimer.unref();
    }
  }

  onLock(listener: (reason: LockReason) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Refuses new operations, lets those in flight finish (so the index and the log stay complete
   * and no read sees a wiped key), writes the audit entry, drops every key from memory, releases
   * the writer lock and tells listeners.
   */
  lock(reason: LockReason = 'manual'): Promise<void> {
    if (this.locked) return Promise.resolve();
    this.locking ??= this.lockNow(reason);
    return this.locking;
  }

  private async lockNow(reason: LockReason): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    let auditError: unknown = null;
    if (this.audit) {
      try {
        await this.audit.append(this.keys!.audit, { event: 'vault-locked', details: { reason } });
      } catch (err) {
        auditError = err;
      }
    }
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    wipe(this.dataKey ?? undefined, this.keys?.index, this.keys?.audit, this.keys?.objectWrap);
    this.dataKey = null;
    this.keys = null;
    this.index = emptyIndex();
    await this.release?.();
    this.release = null;
    for (const l of this.listeners) {
      try {
        l(reason);
      } catch {
        // A failing listener must not keep the vault unlocked.
      }
    }
    // The keys are gone either way; the caller still learns that the entry could not be written.
    if (auditError) throw auditError;
  }

  /** Runs an operation unless the vault is locked or locking, and tracks it until it settles. */
  track<T>(fn: () => Promise<T>): Promise<T> {
    if (this.locked || this.locking) {
      return Promise.reject(new PulmoLensError('VAULT_LOCKED', 'the vault is locked', { path: this.dir }));
    }
    let p: Promise<T>;
    try {
      p = fn();
    } catch (err) {
      return Promise.reject(err);
    }
    this.pending.add(p);
    p.then(
      () => this.pending.delete(p),
      () => this.pending.delete(p),
    );
    return p;
  }

  k(): Keys {
    if (!this.keys) throw new PulmoLensError('VAULT_LOCKED', 'the vault is locked', { path: this.dir });
    this.touch();
    return this.keys;
  }

  writable(): Keys {
    const k = this.k();
    if (!this.audit)
      throw new PulmoLensError('VAULT_LOCKED', 'the vault is open read-only', { path: this.dir });
    return k;
  }

  /** Serialises writes within this process so index updates never interleave. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.track(() => {
      const run = this.queue.then(fn, fn);
      this.queue = run.catch(() => undefined);
      return run;
    });
  }

  recordEvent(
    event: AuditEvent,
    studyRef?: string,
    details?: AuditEntry['details'],
    seriesRef?: string,
  ): Promise<void> {
    return this.track(async () => {
      const k = this.writable();
      await this.audit!.append(k.audit, {
        event,
        ...(studyRef ? { studyRef } : {}),
        ...(seriesRef ? { seriesRef } : {}),
        ...(details ? { details } : {}),
      });
    });
  }

  auditEntries(): Promise<AuditEntry[]> {
    return this.track(async () => {
      const k = this.k();
      return (await readAuditLog(this.dir, this.vaultId, k.audit)).entries;
    });
  }
}
