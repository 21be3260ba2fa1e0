/**
 * An evaluation folder is resumed and updated only when eval made it: it carries EVAL_MARKER,
 * written before anything else (or, for folders from before the marker, a run.json of ours).
 * A folder that holds files of eval's names without either belongs to someone else: refused with
 * OUTPUT_EXISTS unless the researcher chose --overwrite. Other files there are never touched.
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PulmoLensError } from '../../common/errors';
import { outputExists, type OutputChoice } from '../io/safe-writer';
import { OUTPUT_FILES } from './outputs';
import { RUN_FILE } from './run-record';

export const EVAL_MARKER = '.pulmolens-eval';
const FINDINGS_CACHE = 'findings';

async function isOurs(dir: string, names: Set<string>): Promise<boolean> {
  if (names.has(EVAL_MARKER)) return true;
  if (!names.has(RUN_FILE)) return false;
  try {
    const run = JSON.parse(await readFile(join(dir, RUN_FILE), 'utf8')) as Record<string, unknown>;
    return run.schemaVersion === 1 && typeof run.annotationsSha256 === 'string';
  } catch {
    return false;
  }
}

/** Makes `dir` an evaluation folder of ours, or refuses (see above). Creates it when absent. */
export async function claimEvalFolder(dir: string, choice: OutputChoice = {}): Promise<void> {
  let names: Set<string>;
  try {
    names = new Set(await readdir(dir));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new PulmoLensError('IO_ERROR', `cannot read ${dir}: ${(e as Error).message}`, {
        path: dir,
        cause: e,
      });
    }
    names = new Set();
  }
  if (await isOurs(dir, names)) return;
  const clash = [...OUTPUT_FILES, FINDINGS_CACHE].find((n) => names.has(n));
  if (clash !== undefined && choice.overwrite !== true) throw outputExists(join(dir, clash));
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, EVAL_MARKER),
      `${JSON.stringify({ writtenBy: 'pulmolens eval', createdAt: new Date().toISOString() })}\n`,
      { flag: 'wx' },
    );
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw new PulmoLensError(
      'IO_ERROR',
      `cannot mark ${dir} as an evaluation folder: ${(e as Error).message}`,
      {
        path: dir,
        cause: e,
      },
    );
  }
}
