/**
 * The DICOM networking channels: read and change the Storage SCP settings (see DimseService),
 * send a reviewed analysis to the configured destination (built in memory, audit-logged, queued
 * in the vault when the network fails) and list the automatic analyses of received series.
 */
import { PulmoLensError } from '../../common/errors';
import { peerLabel } from '../../common/dimse-settings';
import { echo, reportObjectsOf, sendOrQueue } from '../../core/dimse';
import { requireReviewed, type ReportInput } from '../../core/report';
import type { AutoAnalysis, DimseState } from '../../shared/dimse-contract';
import type { DimseService } from '../dimse-service';
import type { VaultSessionHolder } from '../vault-session';
import type { Handler, HandlerContext } from './router';

export type DimseHandlers = {
  'dimse.settings': Handler<'dimse.settings'>;
  'dimse.saveSettings': Handler<'dimse.saveSettings'>;
  'dimse.sendAnalysis': Handler<'dimse.sendAnalysis'>;
  'dimse.retryQueue': Handler<'dimse.retryQueue'>;
  'dimse.autoAnalyses': Handler<'dimse.autoAnalyses'>;
  'dimse.verify': Handler<'dimse.verify'>;
};

export interface DimseHandlerDeps {
  /** The report input of a series' stored analysis (the same one report.export writes). */
  reportInput?: (key: string, ctx: HandlerContext) => Promise<ReportInput>;
  /** The vault: audit log and retry queue of sends. */
  vault?: VaultSessionHolder;
  autoAnalyses?: () => AutoAnalysis[];
}

const RETRY_HINT =
  'it is retried automatically while the vault is unlocked; "Retry queued sends" in the workspace (or `pulmolens send --retry`) tries at once';

/** The settings, the listener and the send queue, as the settings screen shows them. */
export async function dimseState(s: DimseService): Promise<DimseState> {
  return { settings: await s.getSettings(), ...s.status() };
}

export function createDimseHandlers(
  service: DimseService | undefined,
  deps: DimseHandlerDeps = {},
): DimseHandlers {
  const require = (): DimseService => {
    if (!service) throw new PulmoLensError('NOT_FOUND', 'DICOM networking is not available in this host');
    return service;
  };
  const state = (s: DimseService) => dimseState(s);
  return {
    'dimse.settings': async () => state(require()),
    'dimse.saveSettings': async ({ settings }) => {
      const s = require();
      await s.saveSettings(settings);
      return state(s);
    },
    'dimse.sendAnalysis': async ({ key }, ctx) => {
      const settings = await require().getSettings();
      const to = settings.destination;
      if (!to) {
        throw new PulmoLensError(
          'INVALID_INPUT',
          'no PACS destination is set: enter its AE title, host address and port under "Send to PACS"',
        );
      }
      if (!deps.reportInput) throw new PulmoLensError('NOT_FOUND', 'no analyses in this host');
      const where = `${peerLabel(to)}:${to.port}`;
      ctx.progress({ done: 0, total: 2, stage: 'building the report' });
      const input = await deps.reportInput(key, ctx);
      requireReviewed(input, key);
      const objects = await reportObjectsOf(input);
      const vault = deps.vault?.current() ?? null;
      const location = vault?.seriesLocation(key);
      ctx.progress({ done: 1, total: 2, stage: `sending to ${where}` });
      try {
        await sendOrQueue(objects, to, {
          callingAeTitle: settings.aeTitle,
          timeoutSeconds: settings.timeoutSeconds,
          vault,
          studyRef: location?.studyRef,
          seriesRef: location?.seriesRef,
          retryHint: RETRY_HINT,
        });
      } catch (e) {
        if (e instanceof PulmoLensError && e.details?.['queued'] === true) await require().retry.queuedOne();
        throw e;
      }
      ctx.progress({ done: 2, total: 2, stage: 'sent' });
      return { destination: where, objects: objects.map((o) => o.name) };
    },
    'dimse.retryQueue': async () => {
      const s = require();
      if (!deps.vault?.current()) {
        throw new PulmoLensError('VAULT_LOCKED', 'unlock the vault to send its queued results');
      }
      return s.retryQueue();
    },
    'dimse.autoAnalyses': () => ({ analyses: deps.autoAnalyses?.() ?? [] }),
    'dimse.verify': async ({ destination }) => {
      const settings = await require().getSettings();
      return echo(destination, { callingAeTitle: settings.aeTitle, timeoutSeconds: settings.timeoutSeconds });
    },
  };
}
