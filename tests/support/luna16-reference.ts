/**
 * LUNA16's reference standard for the real LIDC scans, read by the evaluation's own CSV readers and
 * applied with its own matching rules (`pulmolens eval`): the real-data tests of the shipped models.
 */
import { readFileSync } from 'node:fs';
import type { ScanAnnotations } from '../../src/common/eval';
import type { Finding, FindingsDocument } from '../../src/common/findings/findings-document';
import { readLuna16Annotations, readLuna16Excluded } from '../../src/core/eval/luna16-csv';
import { matchScan } from '../../src/core/eval/luna16-match';
import { sharedPath } from './shared-data';

export function lunaAnnotations(uid: string): ScanAnnotations {
  const source = (file: string) => ({
    path: sharedPath('ct', file),
    text: readFileSync(sharedPath('ct', file), 'utf8'),
  });
  return {
    nodules: readLuna16Annotations(source('luna16-annotations.csv')).get(uid) ?? [],
    excluded: readLuna16Excluded(source('luna16-annotations-excluded.csv')).get(uid) ?? [],
  };
}

export interface ListedFindings {
  annotations: ScanAnnotations;
  /** What LUNA16 makes of each listed finding: TP, FP or excluded (neither). */
  kindOf: (f: Finding) => string;
  falsePositives: Finding[];
}

/** The findings at the operating threshold judged against LUNA16's marks for the series. */
export function judgeFindings(doc: FindingsDocument, uid = doc.seriesInstanceUid): ListedFindings {
  const annotations = lunaAnnotations(uid);
  const match = matchScan({
    seriesInstanceUid: doc.seriesInstanceUid,
    model: doc.model,
    candidates: doc.findings.map((f) => ({ id: f.id, centerLps: f.centerLps, probability: f.probability })),
    annotations,
  });
  const kindOf = (f: Finding) => match.candidates.find((c) => c.candidate.id === f.id)!.match.kind;
  return { annotations, kindOf, falsePositives: doc.findings.filter((f) => kindOf(f) === 'FP') };
}

export function describeFalsePositives(fps: Finding[]): string {
  return fps.map((f) => `p ${f.probability.toFixed(3)} ${f.diameterMm} mm`).join('; ');
}
