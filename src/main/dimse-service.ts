/**
 * The Storage SCP inside the app: runs only while it is enabled in the settings and the vault is
 * unlocked (received instances go straight into the vault), stops on lock. Settings are read from
 * and written to a JSON file outside the vault (no patient data in them). A settings change is
 * applied live: the new listener starts before the old one stops, so a port that is taken leaves
 * the old listener and the old settings as they were. The vault's queue of failed sends is
 * retried on its own while unlocked (SendRetryScheduler).
 */
import { PulmoLensError } from '../common/errors';
import {
  DimseSettings,
  loadDimseSettings,
  parseOrExplain,
  readOutbox,
  retryOutbox,
  saveDimseSettings,
  startStorageScp,
  vaultReceiver,
  type ReceivedSeries,
  type RunningScp,
} from '../core/dimse';
import type { UnlockedVault } from '../core/vault';
import type { ListenerState, SendQueueStatus } from '../shared/dimse-contract';
import { SendRetryScheduler, type RetryOutcome } from './send-retry';
import type { VaultSessionHolder } from './vault-session';

export interface DimseServiceStatus {
  listening: { host: string; port: number } | null;
  error: string | null;
  listener: ListenerState;
  queue: SendQueueStatus;
}

/** The settings that change what the SCP does: any of them restarts it. */
const LISTENER_FIELDS = [
  'enabled',
  'aeTitle',
  'port',
  'listenHost',
  'allowedPeers',
  'timeoutSeconds',
] as const;

/** Why a listener could not start, for the field a person has to change. */
function listenError(s: DimseSettings, e: unknown): PulmoLensError {
  const code = (e as NodeJS.ErrnoException).code;
  const at = `${s.listenHost}:${s.port}`;
  const [field, why] =
    code === 'EADDRINUSE'
      ? [
          'port',
          `port ${s.port} is already in use on ${s.listenHost} (another program listens there): choose another port`,
        ]
      : code === 'EADDRNOTAVAIL'
        ? ['listenHost', `${s.listenHost} is not an address of this computer: choose one of its interfaces`]
        : code === 'EACCES'
          ? ['port', `port ${s.port} needs administrator rights on this system: choose a port above 1023`]
          : ['port', `cannot listen on ${at}: ${(e as Error).message}`];
  return new PulmoLensError('INVALID_INPUT', why, { details: { field } });
}

export class DimseService {
  private settings: DimseSettings | null = null;
  private scp: RunningScp | null = null;
  private scpAeTitle = '';
  private lastError: string | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly receivedListeners = new Set<(s: ReceivedSeries, settings: DimseSettings) => void>();
  private readonly changeListeners = new Set<() => void>();
  readonly retry: SendRetryScheduler<UnlockedVault>;

  constructor(
    private readonly opts: {
      settingsPath: string;
      vault: VaultSessionHolder;
      /** A series arrived (the app refreshes the study browser; auto-analysis when enabled). */
      onReceived?: (s: ReceivedSeries, settings: DimseSettings) => void;
      /** Waits between automatic retries of queued sends (default 1, 2, 5, 10, 15, 30 min). */
      retryDelaysMs?: readonly number[];
    },
  ) {
    if (opts.onReceived) this.receivedListeners.add(opts.onReceived);
    opts.vault.onUnlock(() => void this.apply());
    opts.vault.onLock(() => void this.apply());
    this.retry = new SendRetryScheduler<UnlockedVault>({
      session: opts.vault,
      ...(opts.retryDelaysMs ? { delaysMs: opts.retryDelaysMs } : {}),
      count: async (v) => (await readOutbox(v)).length,
      attempt: (v, automatic) => this.attemptQueue(v, automatic),
      onChange: () => this.changed(),
    });
  }

  /** Called after each received series is stored (auto-analysis subscribes here). */
  onReceived(listener: (s: ReceivedSeries, settings: DimseSettings) => void): () => void {
    this.receivedListeners.add(listener);
    return () => this.receivedListeners.delete(listener);
  }

  /** The listener or the send queue changed. */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  async getSettings(): Promise<DimseSettings> {
    this.settings ??= await loadDimseSettings(this.opts.settingsPath);
    return this.settings;
  }

  /**
   * Validates, applies and saves new settings, audit-logged under the reader who unlocked. The
   * new listener starts first: if it cannot (port taken, not an address of this computer), the
   * error names the field, and the running listener and the saved settings stay as they were.
   */
  saveSettings(next: DimseSettings): Promise<DimseSettings> {
    const job = this.chain.then(async () => {
      const v = this.opts.vault.current();
      if (!v) {
        throw new PulmoLensError(
          'VAULT_LOCKED',
          'unlock the vault to change the DICOM network settings (changes are audit-logged)',
        );
      }
      const valid = parseOrExplain('DICOM network settings', () => DimseSettings.parse(next));
      const before = await this.getSettings().catch(() => null);
      const run = valid.enabled;
      const old = this.scp;
      const sameSocket = old !== null && old.host === valid.listenHost && old.port === valid.port;
      let fresh: RunningScp | null = null;
      if (run && !sameSocket) {
        try {
          fresh = await this.start(valid);
        } catch (e) {
          throw listenError(valid, e);
        }
      }
      try {
        await saveDimseSettings(this.opts.settingsPath, valid);
      } catch (e) {
        await fresh?.close();
        throw e;
      }
      this.settings = valid;
      const restart =
        !before || LISTENER_FIELDS.some((k) => JSON.stringify(before[k]) !== JSON.stringify(valid[k]));
      if (old && (fresh || !run || restart)) {
        this.scp = null;
        await old.close();
      }
      if (run && !fresh && (restart || !old)) {
        // Same address and port: the old listener had to go first. Rebinding a port just closed
        // works (Node sets SO_REUSEADDR); anything else is reported in the state.
        try {
          fresh = await this.start(valid);
        } catch (e) {
          this.lastError = listenError(valid, e).message;
        }
      }
      if (fresh) {
        this.scp = fresh;
        this.scpAeTitle = valid.aeTitle;
        this.lastError = null;
      } else if (!run) this.lastError = null;
      const changed = before
        ? (Object.keys(valid) as Array<keyof DimseSettings>).filter(
            (k) => JSON.stringify(before[k]) !== JSON.stringify(valid[k]),
          )
        : Object.keys(valid);
      await v.recordEvent('dimse-settings-changed', undefined, {
        changed: changed.join(',') || 'nothing',
        enabled: valid.enabled,
        listening: this.scp ? `${valid.aeTitle}@${this.scp.host}:${this.scp.port}` : 'off',
      });
      return valid;
    });
    this.chain = job.catch(() => undefined).finally(() => this.changed());
    return job;
  }

  status(): DimseServiceStatus {
    const enabled = this.settings?.enabled ?? false;
    const listener: ListenerState = this.scp
      ? { kind: 'listening', host: this.scp.host, port: this.scp.port, aeTitle: this.scpAeTitle }
      : this.lastError
        ? { kind: 'failed', reason: this.lastError }
        : { kind: 'off', why: enabled && !this.opts.vault.unlocked ? 'vault-locked' : 'disabled' };
    return {
      listening: this.scp ? { host: this.scp.host, port: this.scp.port } : null,
      error: this.lastError,
      listener,
      queue: this.retry.status(),
    };
  }

  /** The retry queue once now (the "Retry queued sends" button); never alongside an automatic one. */
  retryQueue(): Promise<RetryOutcome> {
    return this.retry.retryNow(false);
  }

  /** Starts, restarts or stops the SCP to match the settings and the vault state (serialised). */
  apply(): Promise<void> {
    const job = this.chain.then(async () => {
      if (this.scp) {
        const old = this.scp;
        this.scp = null;
        await old.close();
      }
      const settings = await this.getSettings().catch((e: Error) => {
        this.lastError = e.message;
        return null;
      });
      if (!settings) return;
      if (!settings.enabled || !this.opts.vault.unlocked) {
        this.lastError = null;
        return;
      }
      try {
        this.scp = await this.start(settings);
        this.scpAeTitle = settings.aeTitle;
        this.lastError = null;
      } catch (e) {
        this.lastError = listenError(settings, e).message;
      }
    });
    this.chain = job.catch(() => undefined).finally(() => this.changed());
    return job;
  }

  async close(): Promise<void> {
    await this.chain;
    this.retry.stop();
    if (this.scp) await this.scp.close();
    this.scp = null;
  }

  private start(settings: DimseSettings): Promise<RunningScp> {
    const receiver = vaultReceiver(
      () => this.opts.vault.current(),
      (s) => {
        // The settings of now, not of when the SCP started (auto-analysis may have been switched).
        for (const l of this.receivedListeners) l(s, this.settings ?? settings);
      },
    );
    return startStorageScp({ ...settings, ...receiver });
  }

  private async attemptQueue(v: UnlockedVault, automatic: boolean): Promise<RetryOutcome> {
    const settings = await this.getSettings();
    const r = await retryOutbox(v, {
      callingAeTitle: settings.aeTitle,
      timeoutSeconds: settings.timeoutSeconds,
    });
    await v.recordEvent('send-retried', undefined, {
      automatic,
      delivered: r.delivered,
      stillQueued: r.stillQueued.length,
    });
    return r;
  }

  private changed(): void {
    for (const l of this.changeListeners) {
      try {
        l();
      } catch {
        // one listener's failure must not stop the others
      }
    }
  }
}
