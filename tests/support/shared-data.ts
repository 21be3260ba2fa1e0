/**
 * Access to the real data in ../shared/data (never copied into the repo). Archives are extracted
 * once into the git-ignored .cache/ folder. Tests that need data call `dataStatus` and skip with
 * the printed reason when it is absent.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const sharedDataDir = resolve(
  process.env.PULMOLENS_SHARED_DATA ?? join(repoRoot, '..', 'shared', 'data'),
);
export const cacheDir = join(repoRoot, '.cache');

export function sharedPath(...parts: string[]): string {
  return join(sharedDataDir, ...parts);
}

/** Returns null when every path exists, else a human-readable reason to skip. */
export function missingData(...relPaths: string[]): string | null {
  const missing = relPaths.filter((p) => !existsSync(sharedPath(p)));
  if (missing.length === 0) return null;
  const reason = `shared data absent: ${missing.map((m) => sharedPath(m)).join(', ')}`;
  console.warn(`[skip] ${reason}`);
  return reason;
}

/** Extracts ../shared/data/<archive> into .cache/<name>/ once (atomic rename) and returns that folder. */
export function extractArchive(archiveRel: string, name: string): string {
  const dest = join(cacheDir, name);
  if (existsSync(dest)) return dest;
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${dest}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  execFileSync('tar', ['xJf', sharedPath(archiveRel), '-C', tmp]);
  try {
    renameSync(tmp, dest);
  } catch {
    // Another worker won the race; its copy is complete.
    rmSync(tmp, { recursive: true, force: true });
  }
  return dest;
}

/** The extracted LIDC-IDRI study folder: { root, seriesDir, xml } */
export function lidcStudy(id: '0001' | '0002'): { root: string; seriesDir: string; xml: string } {
  const root = extractArchive(join('ct', `LIDC-IDRI-${id}.tar.xz`), `LIDC-IDRI-${id}`);
  // The archive holds one top-level folder; find series/ wherever it is.
  const find = (dir: string, depth: number): string | null => {
    if (existsSync(join(dir, 'series'))) return dir;
    if (depth === 0) return null;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) {
        const hit = find(join(dir, e.name), depth - 1);
        if (hit) return hit;
      }
    }
    return null;
  };
  const base = find(root, 3) ?? root;
  return { root: base, seriesDir: join(base, 'series'), xml: join(base, 'reader-annotations.xml') };
}
