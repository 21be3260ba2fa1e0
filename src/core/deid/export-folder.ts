/**
 * De-identified copy of a folder of DICOM files. The input is only read. Output files are named
 * from the remapped UIDs (file and folder names of the input may hold names or IDs) and each goes
 * through an OutputWriter (complete or absent; never over a file this run did not write).
 */
import { mkdir, readFile, readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { Progress } from '../dicom/types';
import { PulmoLensError } from '../../common/errors';
import { OutputWriter } from '../io/safe-writer';
import { deidentifyBytes, newDeidSession, type DateOption } from './deidentify';

export interface DeidExportOptions {
  dates?: DateOption;
  onProgress?: (p: Progress) => void;
  /** Fixed day offset for "shift" (tests); random by default. */
  shiftDays?: number;
  /** Write into a non-empty folder, replacing files of the same names (CLI --overwrite). */
  overwrite?: boolean;
}

export interface DeidExportResult {
  written: { source: string; output: string; sopInstanceUid: string; seriesInstanceUid: string }[];
  /** Files that are not DICOM (or not readable): never copied, since they may identify. */
  skipped: { path: string; reason: string }[];
  dates: DateOption;
  shiftDays: number;
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  const walk = async (d: string) => {
    const real = await realpath(d);
    if (seen.has(real)) return;
    seen.add(real);
    const entries = await readdir(d, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  await walk(dir);
  return out;
}

function hasDicomPreamble(b: Uint8Array): boolean {
  return b.length >= 132 && b[128] === 0x44 && b[129] === 0x49 && b[130] === 0x43 && b[131] === 0x4d;
}

export async function deidentifyFolder(
  input: string,
  outDir: string,
  opts: DeidExportOptions = {},
): Promise<DeidExportResult> {
  const src = resolve(input);
  const dst = resolve(outDir);
  const st = await stat(src).catch(() => null);
  if (!st?.isDirectory()) throw new PulmoLensError('NOT_FOUND', 'no such DICOM folder', { path: src });
  const rel = relative(src, dst);
  if (rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && !/^[a-zA-Z]:/.test(rel))) {
    throw new PulmoLensError('INVALID_INPUT', 'the output folder must lie outside the input folder', {
      path: dst,
    });
  }
  // A de-identified copy goes to a folder of its own; with --overwrite, files of the same names
  // are replaced and every other file there is left alone.
  const existing = (await readdir(dst).catch(() => [] as string[])).sort();
  if (existing.length > 0 && opts.overwrite !== true) {
    throw new PulmoLensError(
      'OUTPUT_EXISTS',
      `the output folder is not empty (${existing[0]}${existing.length > 1 ? ` and ${existing.length - 1} more` : ''}); choose an empty folder or allow overwriting`,
      { path: join(dst, existing[0]!) },
    );
  }
  const writer = new OutputWriter({ overwrite: opts.overwrite === true });
  const dates = opts.dates ?? 'remove';
  const session = newDeidSession(dates, opts.shiftDays !== undefined ? { shiftDays: opts.shiftDays } : {});
  const files = await listFiles(src);
  const result: DeidExportResult = { written: [], skipped: [], dates, shiftDays: session.shiftDays };
  await mkdir(dst, { recursive: true });
  let done = 0;
  for (const file of files) {
    opts.onProgress?.({ stage: 'de-identifying', done, total: files.length });
    done++;
    let bytes: Uint8Array;
    try {
      bytes = await readFile(file);
    } catch (e) {
      result.skipped.push({ path: file, reason: `unreadable: ${(e as Error).message}` });
      continue;
    }
    if (!hasDicomPreamble(bytes)) {
      result.skipped.push({ path: file, reason: 'not a DICOM Part 10 file' });
      continue;
    }
    let inst;
    try {
      inst = deidentifyBytes(bytes, session, file);
    } catch (e) {
      result.skipped.push({ path: file, reason: (e as Error).message });
      continue;
    }
    const folder = join(dst, inst.seriesInstanceUid || 'unknown-series');
    const output = join(folder, `${inst.sopInstanceUid}.dcm`);
    await writer.writeFile(output, inst.bytes);
    result.written.push({
      source: file,
      output,
      sopInstanceUid: inst.sopInstanceUid,
      seriesInstanceUid: inst.seriesInstanceUid,
    });
  }
  opts.onProgress?.({ stage: 'de-identifying', done, total: files.length });
  return result;
}
