/**
 * Everything a reviewed analysis exports, written together: report.pdf, report-sr.dcm,
 * heatmap-pmap.dcm, findings-review.json and findings.csv. Each file is staged under a temporary
 * name and the renames happen only once all are complete, so a folder never holds a half report.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PulmoLensError } from '../../common/errors';
import { buildMeasurementReport } from './dicom-sr';
import { buildParametricMap } from './parametric-map';
import { buildPdfReport } from './pdf-report';
import { reportContent, type ReportContent, type ReportInput } from './report-input';
import { findingsCsv, findingsReviewJson } from './tabular';

export const REPORT_FILES = {
  pdf: 'report.pdf',
  sr: 'report-sr.dcm',
  pmap: 'heatmap-pmap.dcm',
  json: 'findings-review.json',
  csv: 'findings.csv',
} as const;

export interface ReportBundle {
  dir: string;
  /** Absolute paths of the files written, by kind (pmap absent when there was no heatmap). */
  paths: Partial<Record<keyof typeof REPORT_FILES, string>>;
  content: ReportContent;
  srSopInstanceUid: string;
  pmapSopInstanceUid?: string;
}

let counter = 0;

export async function writeReportBundle(outDir: string, input: ReportInput): Promise<ReportBundle> {
  const dir = resolve(outDir);
  const content = reportContent(input);
  const sr = buildMeasurementReport(input, content);
  const pmap = input.heatmap ? buildParametricMap(input, input.heatmap) : null;
  const pdf = await buildPdfReport(input, content);
  const files: Array<[keyof typeof REPORT_FILES, string | Uint8Array]> = [
    ['pdf', pdf],
    ['sr', sr.bytes],
    ...(pmap ? [['pmap', pmap.bytes] as [keyof typeof REPORT_FILES, Uint8Array]] : []),
    ['csv', findingsCsv(content)],
    ['json', findingsReviewJson(input, content)],
  ];
  const staged: Array<{ temp: string; final: string; kind: keyof typeof REPORT_FILES }> = [];
  try {
    await mkdir(dir, { recursive: true });
    for (const [kind, data] of files) {
      const final = join(dir, REPORT_FILES[kind]);
      counter += 1;
      const temp = `${final}.tmp-${process.pid}-${counter}`;
      staged.push({ temp, final, kind });
      await writeFile(temp, data);
    }
    for (const s of staged) await rename(s.temp, s.final);
  } catch (cause) {
    await Promise.all(staged.map((s) => rm(s.temp, { force: true })));
    throw new PulmoLensError('IO_ERROR', `cannot write the report: ${(cause as Error).message}`, {
      path: dir,
      cause,
    });
  }
  const paths: ReportBundle['paths'] = {};
  for (const s of staged) paths[s.kind] = s.final;
  return {
    dir,
    paths,
    content,
    srSopInstanceUid: sr.sopInstanceUid,
    ...(pmap ? { pmapSopInstanceUid: pmap.sopInstanceUid } : {}),
  };
}
