/**
 * Where the CLI gets a vault path and passphrases: flags and environment variables for scripts,
 * a hidden prompt on a terminal. A passphrase is never accepted as a command-line argument
 * (it would show in the process list and the shell history).
 */
import { resolve } from 'node:path';
import { PulmoLensError } from '../../common/errors';
import { cliEnv, type PassphraseSource } from '../config';

export function vaultDir(flag: string | undefined): string {
  const dir = flag ?? cliEnv().vaultDir;
  if (!dir) {
    throw new PulmoLensError('INVALID_INPUT', 'no vault given: use --vault DIR or set PULMOLENS_VAULT');
  }
  return resolve(dir);
}

/** Reads one line from the terminal without echoing it. */
export function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    return Promise.reject(new PulmoLensError('INVALID_INPUT', 'no terminal to ask for a passphrase'));
  }
  return new Promise((resolvePromise, reject) => {
    process.stderr.write(question);
    let value = '';
    const done = (err: Error | null) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolvePromise(value);
    };
    const onData = (buf: Buffer) => {
      for (const ch of buf.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(null);
        if (ch === '\u0003') return done(new PulmoLensError('CANCELLED', 'passphrase entry cancelled'));
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

async function fromEnvOrPrompt(
  envName: PassphraseSource,
  question: string,
  confirm: boolean,
): Promise<string> {
  const env = envName === 'PULMOLENS_PASSPHRASE' ? cliEnv().passphrase : cliEnv().newPassphrase;
  if (env !== undefined) return env;
  if (!process.stdin.isTTY) {
    throw new PulmoLensError(
      'INVALID_INPUT',
      `no passphrase: set ${envName} or run in a terminal to be asked`,
    );
  }
  const first = await promptHidden(question);
  if (confirm) {
    const again = await promptHidden('Repeat it: ');
    if (again !== first) throw new PulmoLensError('INVALID_INPUT', 'the two passphrases differ');
  }
  return first;
}

export function currentPassphrase(): Promise<string> {
  return fromEnvOrPrompt('PULMOLENS_PASSPHRASE', 'Vault passphrase: ', false);
}

export function newVaultPassphrase(): Promise<string> {
  return fromEnvOrPrompt('PULMOLENS_PASSPHRASE', 'New vault passphrase: ', true);
}

export function replacementPassphrase(): Promise<string> {
  return fromEnvOrPrompt('PULMOLENS_NEW_PASSPHRASE', 'New vault passphrase: ', true);
}
