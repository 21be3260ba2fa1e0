import type { Command } from 'commander';
import {
  loadSeries,
  scanDicomInputs,
  summariseDecodedSeries,
  type DecodedSeriesSummary,
} from '../../core/dicom';
import type { SkippedFile } from '../../core/dicom';
import { PulmoLensError } from '../../common/errors';
import { progressBar } from '../progress';

export interface InfoReport {
  series: DecodedSeriesSummary[];
  skipped: Array<{ path: string; reason: string }>;
}

/** Scans and fully decodes every series under the inputs (one at a time, to bound memory). */
async function buildInfoReport(paths: string[], onProgress?: (msg: string) => void): Promise<InfoReport> {
  const scan = await scanDicomInputs(paths, {
    onProgress: (p) => onProgress?.(progressBar('scanning', p.done, p.total)),
  });
  const series: DecodedSeriesSummary[] = [];
  const skipped: SkippedFile[] = [...scan.skipped];
  for (const s of scan.series) {
    try {
      const loaded = await loadSeries(s, {
        onProgress: (p) =>
          onProgress?.(progressBar(`decoding ${s.metadata.seriesDescription || s.key}`, p.done, p.total)),
      });
      series.push(summariseDecodedSeries(loaded));
      skipped.push(...loaded.skipped);
    } catch (e) {
      if (!(e instanceof PulmoLensError)) throw e;
      const details = e.details?.skipped as SkippedFile[] | undefined;
      if (details) skipped.push(...details);
      else skipped.push({ path: e.path ?? s.key, code: e.code, reason: e.message });
    }
  }
  return { series, skipped: skipped.map(({ path, reason }) => ({ path, reason })) };
}

function table(report: InfoReport): string {
  const lines: string[] = [];
  for (const s of report.series) {
    lines.push(`Series ${s.seriesInstanceUid}`);
    lines.push(`  study           ${s.studyInstanceUid}`);
    lines.push(`  modality        ${s.modality}`);
    lines.push(`  size            ${s.columns} x ${s.rows} x ${s.slices}`);
    lines.push(`  spacing (mm)    ${s.spacingMm.map((v) => v.toFixed(4)).join(' x ')}`);
    lines.push(`  origin (LPS mm) ${s.originLps.map((v) => v.toFixed(2)).join(', ')}`);
    lines.push(`  direction       ${s.directionCosines.map((v) => v.toFixed(4)).join(' ')}`);
    lines.push(`  HU              min ${s.huMin}, max ${s.huMax}, mean ${s.huMean.toFixed(1)}`);
    lines.push(`  transfer syntax ${s.transferSyntaxes.join(', ')}`);
    for (const w of s.warnings) lines.push(`  warning         ${w}`);
    lines.push('');
  }
  if (report.series.length === 0) lines.push('No CT series found.', '');
  if (report.skipped.length) {
    lines.push(`Skipped ${report.skipped.length} file(s):`);
    for (const s of report.skipped) lines.push(`  ${s.path}: ${s.reason}`);
  }
  return lines.join('\n');
}

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description(
      'Scan DICOM files, folders or DICOMDIRs and describe every series (geometry, HU range, problems).',
    )
    .argument('<paths...>', 'folders, files or DICOMDIRs')
    .option('--json', 'print one JSON object (the stable machine-readable contract)')
    .action(async (paths: string[], opts: { json?: boolean }) => {
      const tty = process.stderr.isTTY;
      const report = await buildInfoReport(paths, tty ? (m) => process.stderr.write(`\r${m}`) : undefined);
      if (tty) process.stderr.write('\r\x1b[K');
      process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : `${table(report)}\n`);
    });
}
