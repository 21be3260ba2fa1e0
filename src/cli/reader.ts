/**
 * Who a command acts for, as the vault's audit log records it. A hospital's IT team reads the
 * audit log to answer "who did this"; the OS account of a terminal or a scheduled job is the
 * wrong answer when a person acted, so every vault command takes `--reader NAME[:ID]` (or
 * $PULMOLENS_READER for scripts run on a person's behalf).
 *
 * Without one: commands that destroy or re-key (vault delete, gc, verify --fix, recover, passwd)
 * are refused, because those are a person's decision and an unattributed deletion of patient data
 * is what an audit exists to prevent. Routine work that unattended jobs do under a service account
 * (import, list, export, analyze, send, listen) still runs, and its entries name the OS account
 * labelled as such, so they can never be mistaken for a named reader.
 */
import { PulmoLensError } from '../common/errors';
import { parseReader, readerLabel } from '../common/reader';
import { osUser } from '../core/vault/audit-log';
import { cliEnv, type CliEnv } from './config';

export const READER_FLAGS = '--reader <name[:id]>';
export const READER_HELP =
  'who acts, for the audit log: NAME or NAME:ID (default: $PULMOLENS_READER; else the OS account, labelled as such)';

export interface ReaderFlag {
  reader?: string;
}

/** The label an audit entry carries when no reader was named. */
export function osAccountLabel(user: string = osUser()): string {
  return `${user} (OS account; no --reader)`;
}

/**
 * The audit actor of one command. `mustName`: the command, when it refuses to run without a
 * named reader.
 */
export function auditActor(
  flags: ReaderFlag,
  mustName: string | null = null,
  env: Pick<CliEnv, 'reader'> = cliEnv(),
): string {
  if (flags.reader !== undefined) return readerLabel(parseReader(flags.reader, '--reader'));
  if (env.reader !== undefined) return readerLabel(parseReader(env.reader, 'PULMOLENS_READER'));
  if (mustName) {
    throw new PulmoLensError(
      'INVALID_INPUT',
      `${mustName} needs the person who does it, for the audit log: add --reader "NAME" or --reader "NAME:ID" (or set PULMOLENS_READER)`,
    );
  }
  return osAccountLabel();
}
