/**
 * Every file PulmoLens writes outside the vault goes through an OutputWriter: it writes only what
 * was asked, never replaces or removes a file it did not create in this run, and refuses with
 * OUTPUT_EXISTS naming the file unless the user chose to overwrite. New files appear by hard-link
 * of a complete temporary file (exclusive create: a file that appears meanwhile is not replaced);
 * a rename replaces only files this run created, or any file when overwriting was chosen.
 */
import { link, lstat, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { PulmoLensError } from '../../common/errors';

export interface OutputFile {
  name: string;
  data: string | Uint8Array;
}

export interface OutputChoice {
  /** The user chose to replace existing files (CLI --overwrite, a confirm dialog in the app). */
  overwrite?: boolean;
}

export interface OutputWriterOptions extends OutputChoice {
  /** File permissions of new files (e.g. 0o600 for decrypted patient data). */
  fileMode?: number;
}

export function outputExists(path: string): PulmoLensError {
  return new PulmoLensError(
    'OUTPUT_EXISTS',
    `${basename(path)} already exists in ${dirname(path)} and was not written by this run; choose another folder or allow overwriting`,
    { path },
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new PulmoLensError('IO_ERROR', `cannot check ${path}: ${(e as Error).message}`, { path, cause: e });
  }
}

function ioError(path: string, cause: unknown): PulmoLensError {
  if (cause instanceof PulmoLensError) return cause;
  return new PulmoLensError('IO_ERROR', `cannot write ${path}: ${(cause as Error).message}`, { path, cause });
}

export class OutputWriter {
  private readonly mine = new Set<string>();
  private readonly overwrite: boolean;
  private readonly fileMode: number | undefined;

  constructor(opts: OutputWriterOptions = {}) {
    this.overwrite = opts.overwrite === true;
    this.fileMode = opts.fileMode;
  }

  /** Absolute paths this run created (or replaced, when overwriting was chosen). */
  get created(): string[] {
    return [...this.mine];
  }

  /** Refuses before anything is written when a target exists that this run may not replace. */
  async checkFree(paths: readonly string[]): Promise<void> {
    if (this.overwrite) return;
    for (const p of paths.map((x) => resolve(x))) {
      if (!this.mine.has(p) && (await exists(p))) throw outputExists(p);
    }
  }

  async writeFile(path: string, data: string | Uint8Array): Promise<string> {
    const [p] = await this.writeFiles(dirname(path), [{ name: basename(path), data }]);
    return p!;
  }

  /**
   * Writes the files into `dir` all or none: each is staged complete under a temporary name, and
   * they appear only once every one is staged. On failure nothing of this call is left behind.
   */
  async writeFiles(dir: string, files: readonly OutputFile[]): Promise<string[]> {
    const d = resolve(dir);
    const finals = files.map((f) => join(d, f.name));
    await this.checkFree(finals);
    try {
      await mkdir(d, { recursive: true });
    } catch (e) {
      throw ioError(d, e);
    }
    const staged: { temp: string; final: string }[] = [];
    const placed: string[] = [];
    try {
      for (const [i, f] of files.entries()) {
        const final = finals[i]!;
        const temp = join(d, `.${f.name}.${randomBytes(6).toString('hex')}.partial`);
        await writeFile(temp, f.data, { flag: 'wx', ...(this.fileMode ? { mode: this.fileMode } : {}) });
        staged.push({ temp, final });
      }
      for (const s of staged) {
        if (this.overwrite || this.mine.has(s.final)) {
          await rename(s.temp, s.final);
        } else {
          try {
            await link(s.temp, s.final);
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw outputExists(s.final);
            throw e;
          }
          await rm(s.temp, { force: true });
          placed.push(s.final);
        }
        this.mine.add(s.final);
      }
      return finals;
    } catch (e) {
      await Promise.all(staged.map((s) => rm(s.temp, { force: true })));
      // Only files that did not exist before this call go again.
      for (const p of placed) {
        this.mine.delete(p);
        await rm(p, { force: true });
      }
      throw ioError(d, e);
    }
  }
}
