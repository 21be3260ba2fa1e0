/**
 * Bootstrap confidence intervals over scans, as noduleCADEvaluationLUNA16.py computes them: draw
 * as many scans as the cohort has, with replacement, recompute the FROC, and take the order
 * statistics floor(0.025·n) and floor(0.975·n) of the sorted results. The generator is seeded so a
 * rerun gives the same interval (numpy's stream cannot be reproduced, so figures differ slightly
 * from the Python script's, within the bootstrap's own noise).
 */
import { cpmOf, packCohort, weightedFrocSensitivities, type ScoredCohort } from './froc';
import { FROC_FP_RATES } from '../../common/eval';

export const DEFAULT_BOOTSTRAP_SAMPLES = 1000;
export const DEFAULT_BOOTSTRAP_SEED = 1;

/** mulberry32: small, fast, and identical on every platform. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface BootstrapResult {
  cpmCI95: [number, number] | null;
  /** Per FP rate (same order as FROC_FP_RATES): [lower, upper], for drawing the band. */
  sensitivityCI95: [number, number][] | null;
  /** Resamples that had at least one nodule (the others have no sensitivity and are left out). */
  usedSamples: number;
}

function percentileInterval(values: number[], confidence: number): [number, number] {
  const v = [...values].sort((a, b) => a - b);
  const pz = (1 - confidence) / 2;
  const at = (q: number): number => v[Math.min(v.length - 1, Math.floor(q * v.length))] as number;
  return [at(pz), at(1 - pz)];
}

export function bootstrapFroc(
  cohort: ScoredCohort,
  opts: { samples?: number; seed?: number; confidence?: number } = {},
): BootstrapResult {
  const samples = opts.samples ?? DEFAULT_BOOTSTRAP_SAMPLES;
  const confidence = opts.confidence ?? 0.95;
  const random = seededRandom(opts.seed ?? DEFAULT_BOOTSTRAP_SEED);
  const n = cohort.scans;
  const cpms: number[] = [];
  const perRate: number[][] = FROC_FP_RATES.map(() => []);
  const weights = new Float64Array(n);
  const packed = packCohort(cohort);
  for (let s = 0; s < samples && n > 0; s++) {
    weights.fill(0);
    for (let d = 0; d < n; d++) weights[Math.floor(random() * n)]! += 1;
    const sens = weightedFrocSensitivities(packed, weights);
    const cpm = cpmOf(sens);
    if (sens === null || cpm === null) continue;
    cpms.push(cpm);
    sens.forEach((v, i) => perRate[i]?.push(v));
  }
  if (cpms.length === 0) return { cpmCI95: null, sensitivityCI95: null, usedSamples: 0 };
  return {
    cpmCI95: percentileInterval(cpms, confidence),
    sensitivityCI95: perRate.map((v) => percentileInterval(v, confidence)),
    usedSamples: cpms.length,
  };
}
