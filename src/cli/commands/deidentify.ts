import type { Command } from 'commander';
import { DATE_OPTIONS, deidentifyFolder, type DateOption, type DeidExportResult } from '../../core/deid';
import type { Progress } from '../../core/dicom/types';
import { PulmoLensError } from '../../common/errors';
import { progressBar } from '../progress';

export interface DeidentifyCliOptions {
  out: string;
  dates?: string;
  overwrite?: boolean;
}

/** `pulmolens deidentify`: a PS3.15 basic-profile copy of a DICOM folder (the input is only read). */
export async function runDeidentifyCommand(
  folder: string,
  o: DeidentifyCliOptions,
  onProgress: (p: Progress) => void = () => undefined,
): Promise<DeidExportResult> {
  const dates = (o.dates ?? 'remove').trim().toLowerCase();
  if (!DATE_OPTIONS.includes(dates as DateOption)) {
    throw new PulmoLensError(
      'INVALID_INPUT',
      `--dates must be one of ${DATE_OPTIONS.join(', ')}, got ${o.dates}`,
    );
  }
  return deidentifyFolder(folder, o.out, {
    dates: dates as DateOption,
    onProgress,
    ...(o.overwrite ? { overwrite: true } : {}),
  });
}

export function registerDeidentify(program: Command): void {
  program
    .command('deidentify')
    .description(
      'Write a de-identified copy of a DICOM folder (PS3.15 Annex E Basic Application Level Confidentiality Profile).',
    )
    .argument('<dicom-folder>', 'folder holding the DICOM files (never modified)')
    .requiredOption('--out <dir>', 'empty or new folder, outside the input, for the de-identified copy')
    .option('--overwrite', 'write into a non-empty --out, replacing files of the same names')
    .option(
      '--dates <remove|shift|keep>',
      'dates: remove (default), shift by a random per-export offset, or keep',
    )
    .action(async (folder: string, o: DeidentifyCliOptions) => {
      const tty = process.stderr.isTTY;
      const r = await runDeidentifyCommand(folder, o, (p) => {
        const line = progressBar(p.stage, p.done, p.total);
        // A log file gets a line every 10% rather than one per file.
        if (tty) process.stderr.write(`\r\x1b[K${line}`);
        else if (p.done === p.total || p.done % Math.max(1, Math.ceil(p.total / 10)) === 0)
          process.stderr.write(`${line}\n`);
      });
      if (tty) process.stderr.write('\r\x1b[K');
      for (const s of r.skipped) process.stderr.write(`skipped ${s.path}: ${s.reason}\n`);
      const series = new Set(r.written.map((w) => w.seriesInstanceUid)).size;
      process.stderr.write(
        `de-identified ${r.written.length} file(s) in ${series} series (dates: ${r.dates}${r.dates === 'shift' ? `, ${r.shiftDays} days` : ''}); skipped ${r.skipped.length}\n`,
      );
      process.stdout.write(`${o.out}\n`);
    });
}
