/**
 * The operating point: at a given threshold (candidates with probability >= threshold are
 * positives), or, without one, the threshold that maximises F1 (ties: the higher threshold, fewer
 * marks for the same F1), reported so that it can be fixed for a later run.
 */
import type { ScoredCohort, ScoreEntry } from './froc';
import type { OperatingPoint } from '../../common/eval';

function lesionCount(cohort: ScoredCohort): number {
  return cohort.lesionsPerScan.reduce((a, b) => a + b, 0);
}

export function pointAt(
  tp: number,
  fp: number,
  lesions: number,
  scans: number,
  threshold: number | null,
): OperatingPoint {
  const fn = lesions - tp;
  const recall = lesions > 0 ? tp / lesions : null;
  const precision = tp + fp > 0 ? tp / (tp + fp) : null;
  const f1 = 2 * tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : null;
  return { threshold, recall, precision, f1, fpPerScan: scans > 0 ? fp / scans : 0, tp, fp, fn };
}

export function operatingPointAt(cohort: ScoredCohort, threshold: number): OperatingPoint {
  let tp = 0;
  let fp = 0;
  for (const e of cohort.entries) {
    if (e.probability < threshold) continue;
    if (e.positive) tp++;
    else fp++;
  }
  return pointAt(tp, fp, lesionCount(cohort), cohort.scans, threshold);
}

export function bestF1OperatingPoint(cohort: ScoredCohort): OperatingPoint {
  const lesions = lesionCount(cohort);
  let best = pointAt(0, 0, lesions, cohort.scans, null);
  let tp = 0;
  let fp = 0;
  const { entries } = cohort;
  for (let i = 0; i < entries.length;) {
    const p = (entries[i] as ScoreEntry).probability;
    for (; i < entries.length && (entries[i] as ScoreEntry).probability === p; i++) {
      if ((entries[i] as ScoreEntry).positive) tp++;
      else fp++;
    }
    const here = pointAt(tp, fp, lesions, cohort.scans, p);
    if (best.threshold === null || (here.f1 ?? -1) > (best.f1 ?? -1)) best = here;
  }
  return best;
}
