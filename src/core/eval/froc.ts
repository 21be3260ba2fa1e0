/**
 * FROC analysis as in the official LUNA16 script: each detected nodule contributes its best hit's
 * probability as a positive, each false positive its probability as a negative; missed nodules
 * count only in the denominator. Sweeping the threshold over the distinct probabilities gives the
 * curve (sklearn roc_curve, with ties forming one step), and sensitivities at 1/8..8 FP per scan are
 * read off it by linear interpolation (numpy interp). CPM is their mean.
 */
import { FROC_FP_RATES, type ScanMatch } from '../../common/eval';

export interface ScoreEntry {
  /** Index of the scan in the cohort, so bootstrap can reweight scans. */
  scan: number;
  positive: boolean;
  probability: number;
}

/** A cohort reduced to what FROC needs; entries sorted by probability, highest first. */
export interface ScoredCohort {
  scans: number;
  lesionsPerScan: number[];
  entries: ScoreEntry[];
}

export interface FrocCurve {
  /** Non-decreasing; starts at 0. */
  fpPerScan: number[];
  /** Null when the cohort has no nodule, so sensitivity is undefined. */
  sensitivity: number[] | null;
  /** Threshold at each point (the first point, before any candidate, is +Infinity). */
  thresholds: number[];
}

export function scoreCohort(matches: ScanMatch[]): ScoredCohort {
  const entries: ScoreEntry[] = [];
  const lesionsPerScan = matches.map((m, scan) => {
    for (const n of m.nodules) {
      if (n.detectedProbability !== null)
        entries.push({ scan, positive: true, probability: n.detectedProbability });
    }
    for (const c of m.candidates) {
      if (c.match.kind === 'FP')
        entries.push({ scan, positive: false, probability: c.candidate.probability });
    }
    return m.nodules.length;
  });
  entries.sort((a, b) => b.probability - a.probability);
  return { scans: matches.length, lesionsPerScan, entries };
}

/**
 * The FROC curve; `weights` (how often each scan is drawn) serves bootstrap, where a scan may
 * appear several times or not at all while the number of scans stays the same.
 */
export function frocCurve(cohort: ScoredCohort, weights?: ArrayLike<number>): FrocCurve {
  const w = (scan: number): number => (weights ? (weights[scan] ?? 0) : 1);
  let lesions = 0;
  cohort.lesionsPerScan.forEach((n, scan) => (lesions += n * w(scan)));
  const fps = [0];
  const tps = [0];
  const thresholds = [Number.POSITIVE_INFINITY];
  let tp = 0;
  let fp = 0;
  const { entries } = cohort;
  for (let i = 0; i < entries.length;) {
    const p = (entries[i] as ScoreEntry).probability;
    for (; i < entries.length && (entries[i] as ScoreEntry).probability === p; i++) {
      const e = entries[i] as ScoreEntry;
      if (e.positive) tp += w(e.scan);
      else fp += w(e.scan);
    }
    fps.push(cohort.scans > 0 ? fp / cohort.scans : 0);
    tps.push(tp);
    thresholds.push(p);
  }
  return {
    fpPerScan: fps,
    sensitivity: lesions > 0 ? tps.map((t) => t / lesions) : null,
    thresholds,
  };
}

/** numpy.interp: linear between the bracketing points, flat beyond the ends, last of equal x. */
export function interpolate(xs: readonly number[], ys: readonly number[], x: number): number {
  const n = xs.length;
  if (n === 0) throw new RangeError('interpolate: empty curve');
  if (x < (xs[0] as number)) return ys[0] as number;
  // Rightmost j with xs[j] <= x.
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((xs[mid] as number) <= x) lo = mid;
    else hi = mid - 1;
  }
  if (lo === n - 1) return ys[n - 1] as number;
  const x0 = xs[lo] as number;
  const x1 = xs[lo + 1] as number;
  const y0 = ys[lo] as number;
  const y1 = ys[lo + 1] as number;
  return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
}

/** Sensitivity at LUNA16's seven FP rates, or null when there is no nodule. */
export function frocSensitivities(curve: FrocCurve): number[] | null {
  const sens = curve.sensitivity;
  if (!sens) return null;
  return FROC_FP_RATES.map((x) => interpolate(curve.fpPerScan, sens, x));
}

export function cpmOf(sensitivities: readonly number[] | null): number | null {
  if (!sensitivities || sensitivities.length === 0) return null;
  return sensitivities.reduce((a, b) => a + b, 0) / sensitivities.length;
}

/** A cohort flattened into typed arrays, for the bootstrap's thousands of reweighted sweeps. */
export interface PackedCohort {
  scans: number;
  lesionsPerScan: Float64Array;
  scan: Int32Array;
  positive: Uint8Array;
  /** 1 where the next entry has a different probability (a point of the curve ends there). */
  groupEnd: Uint8Array;
}

export function packCohort(cohort: ScoredCohort): PackedCohort {
  const n = cohort.entries.length;
  const packed: PackedCohort = {
    scans: cohort.scans,
    lesionsPerScan: Float64Array.from(cohort.lesionsPerScan),
    scan: new Int32Array(n),
    positive: new Uint8Array(n),
    groupEnd: new Uint8Array(n),
  };
  cohort.entries.forEach((e, i) => {
    packed.scan[i] = e.scan;
    packed.positive[i] = e.positive ? 1 : 0;
    packed.groupEnd[i] = i === n - 1 || cohort.entries[i + 1]?.probability !== e.probability ? 1 : 0;
  });
  return packed;
}

/**
 * The same numbers as frocSensitivities(frocCurve(cohort, weights)), computed in one pass without
 * building the curve: each FP rate is resolved as soon as the curve passes it.
 */
export function weightedFrocSensitivities(p: PackedCohort, weights: Float64Array): number[] | null {
  let lesions = 0;
  for (let s = 0; s < p.scans; s++) lesions += (p.lesionsPerScan[s] as number) * (weights[s] as number);
  if (lesions === 0) return null;
  const targets = FROC_FP_RATES;
  const out: number[] = [];
  let lastX = 0;
  let lastY = 0;
  let tp = 0;
  let fp = 0;
  const n = p.scan.length;
  for (let i = 0; i < n && out.length < targets.length; i++) {
    const w = weights[p.scan[i] as number] as number;
    if (p.positive[i]) tp += w;
    else fp += w;
    if (!p.groupEnd[i]) continue;
    const x = p.scans > 0 ? fp / p.scans : 0;
    const y = tp / lesions;
    // numpy.interp uses the last point at or left of the target and the next one; resolve every
    // target this point has passed (strictly), then move on.
    while (out.length < targets.length && x > (targets[out.length] as number)) {
      out.push(lastY + ((y - lastY) * ((targets[out.length] as number) - lastX)) / (x - lastX));
    }
    lastX = x;
    lastY = y;
  }
  while (out.length < targets.length) out.push(lastY);
  return out;
}
