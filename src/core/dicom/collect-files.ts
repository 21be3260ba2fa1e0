import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { SkippedFile } from './types';

/**
 * Expands the user's inputs (folders, files, DICOMDIRs) into candidate files. Folders are walked
 * recursively whatever the file names; symlink loops are followed once; a DICOMDIR contributes the
 * files its records reference (resolved by `expandDicomDir`).
 */
export async function collectFiles(
  inputs: string[],
  skipped: SkippedFile[],
): Promise<{ files: string[]; dicomDirs: string[] }> {
  const files: string[] = [];
  const dicomDirs: string[] = [];
  const seenDirs = new Set<string>();

  const walk = async (dir: string): Promise<void> => {
    const real = await realpath(dir);
    if (seenDirs.has(real)) return;
    seenDirs.add(real);
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory() || (e.isSymbolicLink() && (await stat(p).catch(() => null))?.isDirectory())) {
        await walk(p);
      } else if (basename(p).toUpperCase() === 'DICOMDIR') {
        dicomDirs.push(p);
      } else {
        files.push(p);
      }
    }
  };

  for (const input of inputs) {
    const st = await stat(input).catch(() => null);
    if (!st) {
      skipped.push({ path: input, code: 'NOT_FOUND', reason: 'no such file or folder' });
      continue;
    }
    if (st.isDirectory()) await walk(input);
    else if (basename(input).toUpperCase() === 'DICOMDIR') dicomDirs.push(input);
    else files.push(input);
  }
  return { files, dicomDirs };
}
