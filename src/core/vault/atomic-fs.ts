/**
 * Crash-safe file writes: a file appears complete under its final name or not at all
 * (temporary file, fsync, rename, fsync of the directory). Every fs failure becomes VAULT_IO
 * naming the file and the reason (read-only disk, full disk, permission).
 */
import { promises as fsp, constants as fsc } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { PulmoLensError } from '../../common/errors';

const REASONS: Record<string, string> = {
  EROFS: 'the disk is read-only',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  EFBIG: 'the file size limit was reached',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'input/output error',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a path component is not a directory',
  EMFILE: 'too many open files',
};

export function ioError(err: unknown, action: string, path: string): PulmoLensError {
  if (err instanceof PulmoLensError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? 'UNKNOWN';
  const reason = REASONS[code] ?? (err instanceof Error ? err.message : String(err));
  return new PulmoLensError('VAULT_IO', `cannot ${action}: ${reason} (${code})`, {
    path,
    cause: err,
    details: { errno: code },
  });
}

export async function fsyncDir(dir: string): Promise<void> {
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(dir, fsc.O_RDONLY);
    await fh.sync();
  } catch (err) {
    throw ioError(err, 'sync directory', dir);
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

export function tempName(tmpDir: string, finalPath: string): string {
  return join(tmpDir, `${basename(finalPath)}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Writes `parts` to a temporary file in `tmpDir` (same filesystem), syncs it and renames it over
 * `finalPath`. The caller syncs the destination directory (once per batch where it can).
 */
export async function writeDurable(
  tmpDir: string,
  finalPath: string,
  produce: (write: (parts: Buffer[]) => Promise<void>) => Promise<void>,
  opts: { syncDir?: boolean } = {},
): Promise<void> {
  const tmp = tempName(tmpDir, finalPath);
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(tmp, 'wx', 0o600);
    const handle = fh;
    await produce(async (parts) => {
      let done = (await handle.writev(parts)).bytesWritten;
      // A short gather write (rare) continues part by part from where it stopped.
      for (const p of parts) {
        if (done >= p.length) {
          done -= p.length;
          continue;
        }
        let off = done;
        done = 0;
        while (off < p.length) off += (await handle.write(p, off, p.length - off)).bytesWritten;
      }
    });
    await fh.sync();
    await fh.close();
    fh = undefined;
    await fsp.rename(tmp, finalPath);
  } catch (err) {
    await fh?.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw ioError(err, `write ${basename(finalPath)}`, finalPath);
  }
  if (opts.syncDir !== false) await fsyncDir(dirname(finalPath));
}

export async function writeFileDurable(tmpDir: string, finalPath: string, data: Buffer): Promise<void> {
  await writeDurable(tmpDir, finalPath, (write) => write([data]));
}

export async function readFileOr(path: string, what: string): Promise<Buffer> {
  try {
    return await fsp.readFile(path);
  } catch (err) {
    throw ioError(err, `read ${what}`, path);
  }
}
