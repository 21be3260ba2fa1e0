/**
 * What a reviewed analysis exports: report.pdf, report-sr.dcm, heatmap-pmap.dcm,
 * findings-review.json and findings.csv, only the formats asked for. Written through an
 * OutputWriter: all or none, and never over a file this run did not create unless the user chose to.
 */
import { join, resolve } from 'node:path';
import { OutputWriter, type OutputChoice } from '../io/safe-writer';
import { buildMeasurementReport } from './dicom-sr';
import { buildParametricMap } from './parametric-map';
import type { ReportFormat } from '../../common/report';
import { buildPdfReport } from './pdf-report';
import { reportContent, type ReportContent, type ReportInput } from './report-input';
import { findingsCsv, findingsReviewJson } from './tabular';

export const REPORT_FILES = {
  pdf: 'report.pdf',
  sr: 'report-sr.dcm',
  pmap: 'heatmap-pmap.dcm',
  json: 'findings-review.json',
  csv: 'findings.csv',
} as const satisfies Record<ReportFormat, string>;

export interface ReportBundle {
  dir: string;
  /** Absolute paths of the files written, by kind (pmap absent when there was no heatmap). */
  paths: Partial<Record<keyof typeof REPORT_FILES, string>>;
  content: ReportContent;
  /** Present when the SR was written. */
  srSopInstanceUid?: string;
  pmapSopInstanceUid?: string;
}

export interface ReportBundleOptions extends OutputChoice {
  /** Only these are built and written (default: all five). */
  formats?: readonly ReportFormat[];
  /** The run's writer, when the report goes with other files of the same run (analyze --report). */
  writer?: OutputWriter;
}

export async function writeReportBundle(
  outDir: string,
  input: ReportInput,
  opts: ReportBundleOptions = {},
): Promise<ReportBundle> {
  const dir = resolve(outDir);
  const wanted = new Set<ReportFormat>(opts.formats ?? (Object.keys(REPORT_FILES) as ReportFormat[]));
  const writer = opts.writer ?? new OutputWriter(opts);
  // Refuse before the (slow) PDF is built when a file the user did not let us replace is there.
  await writer.checkFree([...wanted].map((k) => join(dir, REPORT_FILES[k])));
  const built = await buildReportFiles(input, [...wanted]);
  const written = await writer.writeFiles(
    dir,
    built.files.map(([kind, data]) => ({ name: REPORT_FILES[kind], data })),
  );
  const paths: ReportBundle['paths'] = {};
  for (const [i, [kind]] of built.files.entries()) paths[kind] = written[i]!;
  return {
    dir,
    paths,
    content: built.content,
    ...(built.srSopInstanceUid ? { srSopInstanceUid: built.srSopInstanceUid } : {}),
    ...(built.pmapSopInstanceUid ? { pmapSopInstanceUid: built.pmapSopInstanceUid } : {}),
  };
}

export interface BuiltReport {
  /** The formats built, in memory (pmap absent when there was no heatmap). */
  files: Array<[ReportFormat, string | Uint8Array]>;
  content: ReportContent;
  srSopInstanceUid?: string;
  pmapSopInstanceUid?: string;
}

/** Builds the asked-for report formats in memory: what the bundle writes and what a PACS receives. */
export async function buildReportFiles(
  input: ReportInput,
  formats: readonly ReportFormat[],
): Promise<BuiltReport> {
  const wanted = new Set(formats);
  const content = reportContent(input);
  const sr = wanted.has('sr') ? buildMeasurementReport(input, content) : null;
  const pmap = wanted.has('pmap') && input.heatmap ? buildParametricMap(input, input.heatmap) : null;
  const files: BuiltReport['files'] = [];
  if (wanted.has('pdf')) files.push(['pdf', await buildPdfReport(input, content)]);
  if (sr) files.push(['sr', sr.bytes]);
  if (pmap) files.push(['pmap', pmap.bytes]);
  if (wanted.has('csv')) files.push(['csv', findingsCsv(content, input.frames)]);
  if (wanted.has('json')) files.push(['json', findingsReviewJson(input, content)]);
  return {
    files,
    content,
    ...(sr ? { srSopInstanceUid: sr.sopInstanceUid } : {}),
    ...(pmap ? { pmapSopInstanceUid: pmap.sopInstanceUid } : {}),
  };
}
