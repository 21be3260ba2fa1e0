/**
 * `pulmolens send <report-folder> --to AET@host:port`: C-STORE of the SR, the parametric map and
 * the PDF (Encapsulated PDF) to a PACS. With a vault (--vault or $PULMOLENS_VAULT), the send is
 * audit-logged and a failed send is queued encrypted in the vault; `send --retry` delivers the
 * queue (it survives restarts).
 */
import type { Command } from 'commander';
import { PulmoLensError } from '../../common/errors';
import {
  AeTitle,
  enqueue,
  parseDestination,
  parseOrExplain,
  reportObjects,
  retryOutbox,
  sendObjects,
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

async function withOptionalVault<T>(
  flags: SendFlags,
  fn: (v: UnlockedVault | null) => Promise<T>,
): Promise<T> {
  const dir = flags.vault ?? cliEnv().vaultDir;
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
    .argument('[folder]', 'report folder (report-sr.dcm, heatmap-pmap.dcm, report.pdf)')
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
        throw new PulmoLensError('INVALID_INPUT', 'give a report folder and --to AET@host:port');
      const to = parseOrExplain('--to', () => parseDestination(flags.to!));
      const objects = await reportObjects(folder);
      await withOptionalVault(flags, async (v) => {
        const where = `${to.aeTitle}@${to.host}:${to.port}`;
        try {
          const r = await sendObjects(objects, to, { callingAeTitle, timeoutSeconds });
          await v?.recordEvent('study-sent', undefined, { to: where, objects: r.sent });
          process.stdout.write(`sent ${r.sent} object(s) to ${where}\n`);
        } catch (err) {
          if (!v || !(err instanceof PulmoLensError) || !err.code.startsWith('DIMSE_')) throw err;
          await v.recordEvent('send-failed', undefined, { to: where, reason: err.message, queued: true });
          await enqueue(v, objects, to, err.message);
          throw new PulmoLensError(
            err.code,
            `${err.message}; queued in the vault: run \`pulmolens send --retry\``,
            {
              details: err.details,
            },
          );
        }
      });
    });
}
