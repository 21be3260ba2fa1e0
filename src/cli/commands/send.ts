/**
 * `pulmolens send <report-folder> --to AET@host:port`: C-STORE of the SR, the parametric map and
 * the PDF (Encapsulated PDF) to a PACS. `pulmolens send --vault DIR <series|study|analysis>` builds
 * them in memory from the reviewed analysis stored in the vault (nothing written). With a vault (--vault or $PULMOLENS_VAULT), the send is
 * audit-logged and a failed send is queued encrypted in the vault; `send --retry` delivers the
 * queue (it survives restarts).
 */
import type { Command } from 'commander';
import { PulmoLensError } from '../../common/errors';
import { statSync } from 'node:fs';
import {
  AeTitle,
  parseDestination,
  parseOrExplain,
  reportObjects,
  retryOutbox,
  sendOrQueue,
  sendVaultAnalysis,
} from '../../core/dimse';
import { openVault, type UnlockedVault } from '../../core/vault';
import { cliEnv } from '../config';
import { auditActor, READER_FLAGS, READER_HELP } from '../reader';
import { currentPassphrase, vaultDir } from './vault-passphrase';

interface SendFlags {
  reader?: string;
  to?: string;
  aet: string;
  timeout: string;
  vault?: string;
  retry?: boolean;
}

function vaultOf(flags: SendFlags): string | undefined {
  return flags.vault ?? cliEnv().vaultDir;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

async function withOptionalVault<T>(
  flags: SendFlags,
  fn: (v: UnlockedVault | null) => Promise<T>,
): Promise<T> {
  const dir = vaultOf(flags);
  if (!dir) return fn(null);
  const v = await openVault(vaultDir(dir), await currentPassphrase(), {
    idleLockMs: 0,
    actor: auditActor(flags),
  });
  try {
    return await fn(v);
  } finally {
    await v.lock();
  }
}

export function registerSend(program: Command): void {
  program
    .command('send')
    .description('Send a report (SR, parametric map, PDF) to a PACS over DICOM (C-STORE).')
    .argument(
      '[folder-or-ref]',
      'report folder (report-sr.dcm, heatmap-pmap.dcm, report.pdf), or with --vault a reviewed analysis: its series, study or analysis id',
    )
    .option('--to <AET@host:port>', 'destination')
    .option('--aet <title>', 'our calling AE title', 'PULMOLENS')
    .option('--timeout <seconds>', 'network timeout', '30')
    .option('--vault <dir>', 'vault for the audit log and the retry queue (default: $PULMOLENS_VAULT)')
    .option('--retry', 'send what earlier failed sends left in the vault queue')
    .option(READER_FLAGS, READER_HELP)
    .action(async (folder: string | undefined, flags: SendFlags) => {
      const callingAeTitle = parseOrExplain('--aet', () => AeTitle.parse(flags.aet));
      const timeoutSeconds = Number(flags.timeout);
      if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 600) {
        throw new PulmoLensError('INVALID_INPUT', `--timeout ${flags.timeout}: whole seconds from 1 to 600`);
      }
      if (flags.retry) {
        const report = await withOptionalVault(flags, async (v) => {
          if (!v)
            throw new PulmoLensError(
              'INVALID_INPUT',
              '--retry needs the vault that holds the queue (--vault)',
            );
          return retryOutbox(v, { callingAeTitle, timeoutSeconds });
        });
        process.stdout.write(`delivered ${report.delivered} queued send(s)\n`);
        for (const q of report.stillQueued) {
          process.stdout.write(
            `still queued: ${q.objects} object(s) for ${q.destination} (${q.attempts} attempts): ${q.lastError}\n`,
          );
        }
        if (report.stillQueued.length > 0) process.exitCode = 1;
        return;
      }
      if (!folder || !flags.to)
        throw new PulmoLensError(
          'INVALID_INPUT',
          'give a report folder (or, with --vault, a series, study or analysis) and --to AET@host:port',
        );
      const to = parseOrExplain('--to', () => parseDestination(flags.to!));
      const where = `${to.aeTitle}@${to.host}:${to.port}`;
      const delivery = { callingAeTitle, timeoutSeconds, retryHint: 'run `pulmolens send --retry`' };
      // A folder on disk is a report folder; anything else names a reviewed analysis in the vault.
      const fromVault = !isDirectory(folder);
      if (fromVault && !vaultOf(flags)) {
        throw new PulmoLensError(
          'NOT_FOUND',
          'no such report folder; to send a reviewed analysis from the vault, give --vault DIR',
          { path: folder },
        );
      }
      const objects = fromVault ? null : await reportObjects(folder);
      await withOptionalVault(flags, async (v) => {
        const r =
          fromVault && v
            ? await sendVaultAnalysis(v, folder, to, delivery)
            : await sendOrQueue(objects!, to, { ...delivery, vault: v });
        process.stdout.write(`sent ${r.sent} object(s) to ${where}\n`);
      });
    });
}
