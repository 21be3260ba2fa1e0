/**
 * Bootstrap over scans for any statistic, and the rule for when an interval means something: a
 * 95% interval from one nodule or two scans is noise presented as precision, so below 10 nodules or
 * 5 scans the interval is replaced by words saying so.
 */
import { seededRandom } from './bootstrap';

export const MIN_NODULES_FOR_CI = 10;
export const MIN_SCANS_FOR_CI = 5;

export type Interval = [number, number];

/** Null when an interval is meaningful, else the sentence that replaces it. */
export function intervalNote(nodules: number, scans: number): string | null {
  if (nodules >= MIN_NODULES_FOR_CI && scans >= MIN_SCANS_FOR_CI) return null;
  return (
    `not meaningful: ${nodules} nodule${nodules === 1 ? '' : 's'} in ${scans} scan${scans === 1 ? '' : 's'} ` +
    `(a 95% interval needs at least ${MIN_NODULES_FOR_CI} nodules and ${MIN_SCANS_FOR_CI} scans)`
  );
}

export interface BootstrapSpec {
  samples: number;
  seed: number;
}

/**
 * Percentile intervals of several statistics over the same resamples of scans (each resample draws
 * as many scans as there are, with replacement). A statistic may be undefined on a resample (null),
 * which is then left out for that statistic; with no defined value its interval is null.
 */
export function bootstrapScans<K extends string>(
  scans: number,
  statistics: Record<K, (weights: Float64Array) => number | null>,
  spec: BootstrapSpec,
): Record<K, Interval | null> {
  const random = seededRandom(spec.seed);
  const keys = Object.keys(statistics) as K[];
  const values = new Map<K, number[]>(keys.map((k) => [k, []]));
  const weights = new Float64Array(scans);
  for (let s = 0; s < spec.samples && scans > 0; s++) {
    weights.fill(0);
    for (let d = 0; d < scans; d++) weights[Math.floor(random() * scans)]! += 1;
    for (const k of keys) {
      const v = statistics[k](weights);
      if (v !== null && Number.isFinite(v)) values.get(k)!.push(v);
    }
  }
  const out = {} as Record<K, Interval | null>;
  for (const k of keys) {
    const v = values.get(k)!.sort((a, b) => a - b);
    const at = (q: number): number => v[Math.min(v.length - 1, Math.floor(q * v.length))] as number;
    out[k] = v.length === 0 ? null : [at(0.025), at(0.975)];
  }
  return out;
}
