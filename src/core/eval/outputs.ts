/** Writes one evaluation folder: every file complete or not at all (see atomic-write). */
import { writeFilesAtomically } from './atomic-write';
import { blandAltmanPlotModel } from './bland-altman-plot';
import { candidatesCsv } from './candidates-csv';
import type { Evaluation } from './evaluate';
import { frocPlotModel } from './froc-plot';
import { frocPng } from './froc-png';
import { frocSvg } from './froc-svg';
import { reportHtml } from './report-html';
import { reportSpots } from './report-spots';
import { RUN_FILE, SCANS_FILE, scansJsonl, type RunInfo } from './run-record';
import type { ScanRecord } from '../../common/eval';

export const OUTPUT_FILES = [
  'metrics.json',
  'froc.svg',
  'froc.png',
  'candidates.csv',
  'bland-altman.svg',
  'bland-altman.png',
  'report.html',
  SCANS_FILE,
  RUN_FILE,
] as const;

export async function writeEvaluation(
  outDir: string,
  evaluation: Evaluation,
  records: readonly ScanRecord[],
  run: RunInfo,
  /** Key images of the misses and false positives, by report spot key (see report-spots). */
  keyImages: ReadonlyMap<string, Uint8Array> = new Map(),
): Promise<void> {
  const { metrics } = evaluation;
  const plot = frocPlotModel(evaluation.curve, evaluation.bootstrap, metrics);
  const ba = blandAltmanPlotModel(metrics.sizeAgreement);
  const frocText = frocSvg(plot);
  const baText = frocSvg(ba);
  const sorted = [...records].sort((a, b) => (a.seriesInstanceUid < b.seriesInstanceUid ? -1 : 1));
  // metrics.json goes last: it is the mark of a complete result, present only once the rest is.
  await writeFilesAtomically(outDir, [
    { name: 'froc.svg', data: frocText },
    { name: 'froc.png', data: frocPng(plot) },
    { name: 'bland-altman.svg', data: baText },
    { name: 'bland-altman.png', data: frocPng(ba) },
    {
      name: 'report.html',
      data: reportHtml({
        metrics,
        frocSvg: frocText,
        blandAltmanSvg: baText,
        spots: reportSpots(metrics, evaluation.matches),
        keyImages,
      }),
    },
    { name: 'candidates.csv', data: candidatesCsv(evaluation.matches, metrics.operatingPoint.threshold) },
    { name: SCANS_FILE, data: scansJsonl(sorted) },
    { name: RUN_FILE, data: `${JSON.stringify(run, null, 2)}\n` },
    { name: 'metrics.json', data: `${JSON.stringify(metrics, null, 2)}\n` },
  ]);
}
