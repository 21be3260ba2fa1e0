/**
 * Folder choosing where there is no native dialog (the browser preview and the test host): list
 * the sub-folders of a folder under the allowed roots, and find a folder dropped onto the page.
 * A browser never reveals a dropped folder's path, only its name and its files' names and sizes;
 * the host finds the one folder under the roots that holds exactly those files. Nothing outside
 * the roots is listed or named, symbolic links included.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { PulmoLensError } from '../../common/errors';
import type { DroppedFolderQuery, FolderListing } from '../../shared/import-contract';

/** Caps that keep a search over a large home folder short. */
const MAX_ENTRIES_LISTED = 2000;
const MAX_SEARCH_DEPTH = 8;
const MAX_FOLDERS_SEARCHED = 20_000;

async function realRoots(roots: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const r of roots) {
    const real = await realpath(r).catch(() => null);
    if (real && !out.includes(real)) out.push(real);
  }
  return out;
}

const within = (root: string, p: string): boolean => {
  const rel = relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/** The real path of `p` when it lies under one of the roots, else a typed refusal. */
async function allowed(roots: string[], p: string): Promise<string> {
  if (!isAbsolute(p)) throw new PulmoLensError('INVALID_INPUT', `not an absolute path: ${p}`, { path: p });
  const real = await realpath(resolve(p)).catch(() => {
    throw new PulmoLensError('NOT_FOUND', `folder not found: ${p}`, { path: p });
  });
  if (!roots.some((r) => within(r, real))) {
    throw new PulmoLensError('INVALID_INPUT', `outside the folders this host may browse: ${p}`, {
      path: p,
    });
  }
  return real;
}

/** Sub-folders of `path` (or the roots themselves when `path` is absent). */
export async function listFolder(rootsIn: readonly string[], path?: string): Promise<FolderListing> {
  const roots = await realRoots(rootsIn);
  if (roots.length === 0) throw new PulmoLensError('NOT_FOUND', 'no folder to browse on this host');
  if (path === undefined) {
    return {
      path: null,
      parent: null,
      roots,
      folders: roots.map((r) => ({ name: r, path: r })),
      files: 0,
      truncated: false,
    };
  }
  const dir = await allowed(roots, path);
  const info = await stat(dir);
  if (!info.isDirectory()) throw new PulmoLensError('INVALID_INPUT', `not a folder: ${path}`, { path });
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    throw new PulmoLensError('IO_ERROR', `cannot read ${path}: ${err.code ?? err.message}`, { path });
  });
  const folders: { name: string; path: string }[] = [];
  let files = 0;
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    if (e.isDirectory()) folders.push({ name: e.name, path: join(dir, e.name) });
    else if (e.isFile()) files++;
  }
  folders.sort((a, b) => a.name.localeCompare(b.name));
  const atRoot = roots.includes(dir);
  return {
    path: dir,
    parent: atRoot ? null : dirname(dir),
    roots,
    folders: folders.slice(0, MAX_ENTRIES_LISTED),
    files,
    truncated: folders.length > MAX_ENTRIES_LISTED,
  };
}

/** Does `dir` hold every listed file (name and size)? */
async function holds(dir: string, files: DroppedFolderQuery['files']): Promise<boolean> {
  for (const f of files) {
    const s = await stat(join(dir, f.relativePath)).catch(() => null);
    if (!s?.isFile() || s.size !== f.size) return false;
  }
  return true;
}

/**
 * The folders under the roots that match a drop: named `folderName` (when the drop was a folder)
 * and holding every sampled file with the same relative path and size. Breadth-first, capped.
 */
export async function locateDropped(rootsIn: readonly string[], q: DroppedFolderQuery): Promise<string[]> {
  const roots = await realRoots(rootsIn);
  const found: string[] = [];
  let visited = 0;
  const queue: { dir: string; depth: number }[] = roots.map((dir) => ({ dir, depth: 0 }));
  const seen = new Set<string>();
  while (queue.length && visited < MAX_FOLDERS_SEARCHED && found.length < 2) {
    const { dir, depth } = queue.shift()!;
    if (seen.has(dir)) continue;
    seen.add(dir);
    visited++;
    const nameOk = q.folderName === undefined || basename(dir) === q.folderName;
    if (nameOk && (await holds(dir, q.files))) {
      found.push(dir);
      continue;
    }
    if (depth >= MAX_SEARCH_DEPTH) continue;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      // Links are not followed: the search stays inside the roots.
      if (e.isDirectory() && !e.name.startsWith('.'))
        queue.push({ dir: join(dir, e.name), depth: depth + 1 });
    }
  }
  return found.filter((f) => roots.some((r) => within(r, f) && !f.split(sep).includes('..')));
}
