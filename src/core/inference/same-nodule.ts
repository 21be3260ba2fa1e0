/**
 * Several candidates on one nodule each get an outline, and the findings list must show the nodule
 * once. A candidate is one nodule with a stronger one when its centre lies within the stronger
 * one's radius (half its mean diameter, at least 3 mm), or when its own outline, of the same type
 * and larger, covers the stronger one's centre: a candidate at the edge of a large faint nodule
 * can score higher than the one at its middle and be outlined as the edge's few millimetres
 * (an inserted 29.3 mm ground-glass nodule was listed twice, at 9.2 and 32.4 mm;
 * training/type_check.ts, session 34). The nodule keeps the strongest score and the larger outline.
 */
import type { Vec3 } from '../../common/volume';

export interface OutlinedCandidate {
  /** The outline's centroid (volume voxels). */
  centre: Vec3;
  score: number;
  ch: { type: string };
  m: { meanDiameterMm: number };
  /** Whether the outline holds the voxel (volume voxel indices). */
  covers: (voxel: Vec3) => boolean;
}

/**
 * The candidates (strongest first) with those on one nodule merged: each entry is the strongest
 * candidate of its nodule and the candidate whose outline it shows. Pure.
 */
export function mergeSameNodule<T extends OutlinedCandidate>(
  strongestFirst: readonly T[],
  spacingMm: Vec3,
): Array<{ strongest: T; outlineOf: T }> {
  const kept: Array<{ strongest: T; outlineOf: T }> = [];
  const mm = (a: Vec3, b: Vec3) =>
    Math.hypot((a[0] - b[0]) * spacingMm[0], (a[1] - b[1]) * spacingMm[1], (a[2] - b[2]) * spacingMm[2]);
  for (const f of strongestFirst) {
    // f's outline is the same nodule's, larger, where it covers the strongest one's centre.
    const widens = (k: { strongest: T; outlineOf: T }) =>
      f.ch.type === k.outlineOf.ch.type &&
      f.m.meanDiameterMm > k.outlineOf.m.meanDiameterMm &&
      f.covers(k.strongest.centre.map(Math.round) as Vec3);
    const within = (k: { outlineOf: T }) =>
      mm(f.centre, k.outlineOf.centre) < Math.max(k.outlineOf.m.meanDiameterMm / 2, 3);
    const same = kept.find((k) => within(k) || widens(k));
    if (!same) kept.push({ strongest: f, outlineOf: f });
    else if (widens(same)) same.outlineOf = f;
  }
  return kept;
}
