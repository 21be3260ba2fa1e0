/**
 * Output without half-written files: every file is written to a temporary name in the target
 * folder first and renamed, in the order given, only once all of them are complete (a rename within
 * one folder is atomic on POSIX and NTFS). Callers put the file that marks a finished result last.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PulmoLensError } from '../../common/errors';
import type { OutputFile } from '../io/safe-writer';

let counter = 0;

function tempName(path: string): string {
  counter += 1;
  return `${path}.tmp-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

export async function writeFilesAtomically(dir: string, files: readonly OutputFile[]): Promise<void> {
  const staged: { temp: string; final: string }[] = [];
  try {
    await mkdir(dir, { recursive: true });
    for (const f of files) {
      const final = join(dir, f.name);
      const temp = tempName(final);
      staged.push({ temp, final });
      await writeFile(temp, f.data);
    }
    for (const s of staged) await rename(s.temp, s.final);
  } catch (cause) {
    await Promise.all(staged.map((s) => rm(s.temp, { force: true })));
    throw new PulmoLensError('IO_ERROR', `cannot write results: ${(cause as Error).message}`, {
      path: dir,
      cause,
    });
  }
}

export async function writeFileAtomically(path: string, data: string | Uint8Array): Promise<void> {
  const temp = tempName(path);
  try {
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (cause) {
    await rm(temp, { force: true });
    throw new PulmoLensError('IO_ERROR', `cannot write: ${(cause as Error).message}`, { path, cause });
  }
}
