/**
 * The operating point: at a given threshold (candidates with probability >= threshold are
 * positives), or, without one, the threshold that maximises F1 (ties: the higher threshold, fewer
 * marks for the same F1), reported so that it can be fixed for a later run.
 */
import type { ScoredCohort, ScoreEntry } from './froc';
import type { OperatingPointMetrics } from '../../common/eval';

function lesionCount(cohort: ScoredCohort): number {
  return cohort.lesionsPerScan.reduce((a, b) => a + b, 0);
}

export function pointAt(
  tp: number,
  fp: number,
  lesions: number,
  scans: number,
  threshold: number | null,
): OperatingPointMetrics {
  const fn = lesions - tp;
  const recall = lesions > 0 ? tp / lesions : null;
  const precision = tp + fp > 0 ? tp / (tp + fp) : null;
  const f1 = 2 * tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : null;
  return { threshold, recall, precision, f1, fpPerScan: scans > 0 ? fp / scans : 0, tp, fp, fn };
}

export function operatingPointAt(cohort: ScoredCohort, threshold: number): OperatingPointMetrics {
  let tp = 0;
  let fp = 0;
  for (const e of cohort.entries) {
    if (e.probability < threshold) continue;
    if (e.positive) tp++;
    else fp++;
  }
  return pointAt(tp, fp, lesionCount(cohort), cohort.scans, threshold);
}

export function bestF1OperatingPoint(cohort: ScoredCohort): OperatingPointMetrics {
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

/** Per-scan true and false positives at a threshold, for bootstrapping the operating point. */
export interface ScanTallies {
  tp: Float64Array;
  fp: Float64Array;
  lesions: Float64Array;
}

export function talliesAt(cohort: ScoredCohort, threshold: number | null): ScanTallies {
  const t: ScanTallies = {
    tp: new Float64Array(cohort.scans),
    fp: new Float64Array(cohort.scans),
    lesions: Float64Array.from(cohort.lesionsPerScan),
  };
  if (threshold === null) return t;
  for (const e of cohort.entries) {
    if (e.probability < threshold) continue;
    if (e.positive) t.tp[e.scan]! += 1;
    else t.fp[e.scan]! += 1;
  }
  return t;
}

/** The operating point of a bootstrap resample (scan s counted weights[s] times). */
export function weightedPoint(
  t: ScanTallies,
  weights: Float64Array,
  threshold: number | null,
): OperatingPointMetrics {
  let tp = 0;
  let fp = 0;
  let lesions = 0;
  for (let s = 0; s < weights.length; s++) {
    const w = weights[s] as number;
    tp += w * (t.tp[s] as number);
    fp += w * (t.fp[s] as number);
    lesions += w * (t.lesions[s] as number);
  }
  return pointAt(tp, fp, lesions, weights.length, threshold);
}
