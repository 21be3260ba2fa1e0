/**
 * What went wrong with getting a study in, as messages a person can act on: each names the path
 * and the reason (a folder that does not exist, a folder without DICOM images, a series that does
 * not decode), instead of a folded "N file(s) skipped". Pure: the study browser shows these.
 */
import type { SkippedFile } from '../../common/dicom';
import type { IpcError } from '../../shared/ipc-contract';

export interface ImportProblem {
  /** The folder, file or series the message is about. */
  path: string;
  /** Short headline: what happened. */
  title: string;
  /** Why, and what to do. */
  reason: string;
}

const under = (dir: string, p: string): boolean =>
  p === dir || p.startsWith(dir.endsWith('/') ? dir : `${dir}/`);

/** Reasons with how often each occurred, most frequent first: "not a DICOM file (×12)". */
function reasonSummary(files: readonly SkippedFile[]): string {
  const counts = new Map<string, number>();
  for (const f of files) counts.set(f.reason, (counts.get(f.reason) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([r, n]) => (n > 1 ? `${r} (×${n})` : r))
    .join('; ');
}

/**
 * Problems of one import: per requested path, one that does not exist, or one in which no image
 * series was found (with the files' reasons). `seriesFound` counts series found over all paths;
 * `seriesPaths` are the files of the series found, to tell which requested path gave nothing.
 */
export function importProblems(
  paths: readonly string[],
  skipped: readonly SkippedFile[],
  seriesFound: number,
  seriesPaths: readonly string[] = [],
): ImportProblem[] {
  const problems: ImportProblem[] = [];
  for (const p of paths) {
    const missing = skipped.find((s) => s.path === p && s.code === 'NOT_FOUND');
    if (missing) {
      problems.push({
        path: p,
        title: 'Folder not found',
        reason: `${missing.reason}. Check the path, or choose the folder with the folder picker.`,
      });
      continue;
    }
    const gaveSeries = seriesFound > 0 && (seriesPaths.length === 0 || seriesPaths.some((s) => under(p, s)));
    if (gaveSeries) continue;
    const here = skipped.filter((s) => under(p, s.path));
    const unreadable = skipped.find((s) => s.path === p);
    if (unreadable) {
      problems.push({ path: p, title: 'Cannot read this folder', reason: unreadable.reason });
    } else if (here.length === 0) {
      problems.push({
        path: p,
        title: 'No DICOM images in this folder',
        reason: 'the folder and its sub-folders hold no files. Choose the folder that holds the CT series.',
      });
    } else {
      problems.push({
        path: p,
        title: 'No DICOM images in this folder',
        reason: `${here.length} file(s) looked at, none is a CT image: ${reasonSummary(here)}.`,
      });
    }
  }
  return problems;
}

/** A whole import that failed (vault locked, cancelled, an I/O error). */
export function importFailure(paths: readonly string[], error: IpcError): ImportProblem {
  return {
    path: error.path ?? paths.join(', '),
    title: error.code === 'CANCELLED' ? 'Import cancelled' : 'Import failed',
    reason: `${error.message} (${error.code})`,
  };
}

/** A series that was imported but does not open (its images do not decode). */
export function seriesFailure(label: string, error: IpcError): ImportProblem {
  return {
    path: error.path ?? label,
    title: `Series ${label} could not be opened`,
    reason: `${error.message} (${error.code})`,
  };
}

/**
 * Folder paths from a drop: Electron reveals dropped files' real paths (the preload's
 * webUtils.getPathForFile, passed in as `pathOf`); a browser only gives text that may hold
 * paths or file:// URIs. Empty when neither gives a path.
 */
export function droppedPaths(
  files: readonly File[],
  pathOf: ((f: File) => string | null) | undefined,
  text: string,
): string[] {
  const fromFiles = pathOf ? files.map((f) => pathOf(f)).filter((p): p is string => !!p) : [];
  if (fromFiles.length) return fromFiles;
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => (l.startsWith('file://') ? decodeURIComponent(l.replace(/^file:\/\/(localhost)?/, '')) : l))
    .filter((l) => l.startsWith('/') || /^[A-Za-z]:\\/.test(l));
}

/** At most `max` of a drop's files, spread over the list, for the host to recognise the folder by. */
export function sampleDropped<T extends { relativePath: string; size: number }>(
  files: readonly T[],
  max = 16,
): T[] {
  const sorted = [...files].sort((a, b) => a.relativePath.localeCompare(b.relativePath));
  if (sorted.length <= max) return sorted;
  return Array.from({ length: max }, (_, i) => sorted[Math.floor((i * sorted.length) / max)]!);
}
