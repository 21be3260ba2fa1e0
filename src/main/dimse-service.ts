/**
 * The Storage SCP inside the app: runs only while it is enabled in the settings and the vault is
 * unlocked (received instances go straight into the vault), stops on lock. Settings are read from
 * and written to a JSON file outside the vault (no patient data in them).
 */
import {
  loadDimseSettings,
  saveDimseSettings,
  startStorageScp,
  vaultReceiver,
  type DimseSettings,
  type ReceivedSeries,
  type RunningScp,
} from '../core/dimse';
import type { VaultSessionHolder } from './vault-session';

export interface DimseServiceStatus {
  listening: { host: string; port: number } | null;
  error: string | null;
}

export class DimseService {
  private settings: DimseSettings | null = null;
  private scp: RunningScp | null = null;
  private lastError: string | null = null;
  private chain: Promise<void> = Promise.resolve();
  private readonly receivedListeners = new Set<(s: ReceivedSeries, settings: DimseSettings) => void>();

  constructor(
    private readonly opts: {
      settingsPath: string;
      vault: VaultSessionHolder;
      /** A series arrived (the app refreshes the study browser; auto-analysis when enabled). */
      onReceived?: (s: ReceivedSeries, settings: DimseSettings) => void;
    },
  ) {
    if (opts.onReceived) this.receivedListeners.add(opts.onReceived);
    opts.vault.onUnlock(() => void this.apply());
    opts.vault.onLock(() => void this.apply());
  }

  /** Called after each received series is stored (auto-analysis subscribes here). */
  onReceived(listener: (s: ReceivedSeries, settings: DimseSettings) => void): () => void {
    this.receivedListeners.add(listener);
    return () => this.receivedListeners.delete(listener);
  }

  async getSettings(): Promise<DimseSettings> {
    this.settings ??= await loadDimseSettings(this.opts.settingsPath);
    return this.settings;
  }

  async saveSettings(next: DimseSettings): Promise<DimseSettings> {
    this.settings = await saveDimseSettings(this.opts.settingsPath, next);
    await this.apply();
    return this.settings;
  }

  status(): DimseServiceStatus {
    return {
      listening: this.scp ? { host: this.scp.host, port: this.scp.port } : null,
      error: this.lastError,
    };
  }

  /** Starts, restarts or stops the SCP to match the settings and the vault state (serialised). */
  apply(): Promise<void> {
    this.chain = this.chain.then(async () => {
      if (this.scp) {
        const old = this.scp;
        this.scp = null;
        await old.close();
      }
      const settings = await this.getSettings().catch((e: Error) => {
        this.lastError = e.message;
        return null;
      });
      if (!settings?.enabled || !this.opts.vault.unlocked) return;
      const receiver = vaultReceiver(
        () => this.opts.vault.current(),
        (s) => {
          // The settings of now, not of when the SCP started (auto-analysis may have been switched).
          for (const l of this.receivedListeners) l(s, this.settings ?? settings);
        },
      );
      try {
        this.scp = await startStorageScp({ ...settings, ...receiver });
        this.lastError = null;
      } catch (e) {
        this.lastError = `cannot listen on ${settings.listenHost}:${settings.port}: ${(e as Error).message}`;
      }
    });
    return this.chain;
  }

  async close(): Promise<void> {
    await this.chain;
    if (this.scp) await this.scp.close();
    this.scp = null;
  }
}
