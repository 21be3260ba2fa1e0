/**
 * vault.lock: one writer per vault at a time (the app and the CLI must not both rewrite the index).
 * A lock left by a process that died (crash, SIGKILL) is taken over.
 */
import { promises as fsp } from 'node:fs';
import { join, resolve } from 'node:path';
import { PulmoLensError } from '../../common/errors';
import { ioError } from './atomic-fs';

const LOCK_FILE = 'vault.lock';

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Vaults this process holds open for writing (the pid in the lock file cannot tell them apart). */
const heldHere = new Set<string>();

export async function acquireWriterLock(dir: string): Promise<() => Promise<void>> {
  const path = join(resolve(dir), LOCK_FILE);
  if (heldHere.has(path)) {
    throw new PulmoLensError('VAULT_BUSY', 'the vault is already open for writing in this process', {
      path: dir,
    });
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await fsp.open(path, 'wx', 0o600);
      await fh.write(`${process.pid}\n`);
      await fh.close();
      heldHere.add(path);
      return async () => {
        heldHere.delete(path);
        await fsp.rm(path, { force: true }).catch(() => undefined);
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
        throw ioError(err, 'take the vault writer lock', path);
    }
    const holder = Number.parseInt((await fsp.readFile(path, 'utf8').catch(() => '')).trim(), 10);
    if (holder !== process.pid && alive(holder)) {
      throw new PulmoLensError('VAULT_BUSY', `the vault is open for writing by process ${holder}`, {
        path: dir,
        details: { pid: holder },
      });
    }
    // Stale: its owner is gone, or it is this process's from an unlock that was never locked.
    await fsp.rm(path, { force: true }).catch((err: unknown) => {
      throw ioError(err, 'remove a stale vault lock', path);
    });
  }
  throw new PulmoLensError('VAULT_BUSY', 'could not take the vault writer lock', { path: dir });
}
