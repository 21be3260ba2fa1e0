/**
 * Several candidates on one nodule each get an outline, and the findings list must show the nodule
 * once. A candidate is one nodule with a stronger one when its centre lies within the stronger
 * one's radius (half its mean diameter, at least 3 mm), or when its own outline, of the same type
 * and larger, covers the stronger one's centre: a candidate at the edge of a large faint nodule
 * can score higher than the one at its middle and be outlined as the edge's few millimetres
 * (an inserted 29.3 mm ground-glass nodule was listed twice, at 9.2 and 32.4 mm;
 * training/type_check.ts, session 34). The nodule keeps the strongest score and the larger outline.
 *
 * A ground-glass outline can also be a part of a part-solid nodule that a candidate near its middle
 * outlines whole: where such a larger part-solid outline holds nearly all of it, the nodule shows
 * that one. And once an outline has grown so, candidates kept apart before may lie within it: the
 * merge runs again over what it kept (an inserted 18.2 mm spiculated part-solid nodule was listed
 * four times as 11-13 mm ground glass, its 20.8 mm part-solid outline dropped; fresh faint seeds
 * 213-224, session 38).
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
  /** The outline's voxels (volume voxel indices; none where nothing was outlined). */
  voxels: () => Iterable<Vec3>;
}

/** A part-solid outline shows the nodule in place of a ground-glass one when it holds this share of it. */
export const PART_OF_NODULE_SHARE = 0.9;

/** The share of a's voxels that b's outline holds (0 when a is empty). */
export function shareInside(a: OutlinedCandidate, b: OutlinedCandidate): number {
  let all = 0;
  let inside = 0;
  for (const v of a.voxels()) {
    all += 1;
    if (b.covers(v)) inside += 1;
  }
  return all === 0 ? 0 : inside / all;
}

/** One nodule of the list: its strongest candidate and the candidate whose outline it shows. */
export interface MergedNodule<T> {
  strongest: T;
  outlineOf: T;
}

/** The candidates (strongest first) with those on one nodule merged, strongest first. Pure. */
export function mergeSameNodule<T extends OutlinedCandidate>(
  strongestFirst: readonly T[],
  spacingMm: Vec3,
): Array<MergedNodule<T>> {
  const mm = (a: Vec3, b: Vec3) =>
    Math.hypot((a[0] - b[0]) * spacingMm[0], (a[1] - b[1]) * spacingMm[1], (a[2] - b[2]) * spacingMm[2]);
  const larger = (f: T, k: MergedNodule<T>) => f.m.meanDiameterMm > k.outlineOf.m.meanDiameterMm;
  // f's outline is the same nodule's, larger, where it covers the strongest one's centre.
  const widens = (f: T, k: MergedNodule<T>) =>
    f.ch.type === k.outlineOf.ch.type && larger(f, k) && f.covers(k.strongest.centre.map(Math.round) as Vec3);
  const within = (f: T, k: MergedNodule<T>) =>
    mm(f.centre, k.outlineOf.centre) < Math.max(k.outlineOf.m.meanDiameterMm / 2, 3);
  // Within the nodule already, f outlines it whole: a part-solid outline around a ground-glass part.
  const holdsPart = (f: T, k: MergedNodule<T>) =>
    f.ch.type === 'part-solid' &&
    k.outlineOf.ch.type === 'ground-glass' &&
    larger(f, k) &&
    shareInside(k.outlineOf, f) >= PART_OF_NODULE_SHARE;
  /** Merges f into the first (strongest) nodule it belongs to; false where it is a nodule of its own. */
  const join = (kept: Array<MergedNodule<T>>, f: T): boolean => {
    const same = kept.find((k) => within(f, k) || widens(f, k));
    if (!same) return false;
    if (widens(f, same) || (within(f, same) && holdsPart(f, same))) same.outlineOf = f;
    return true;
  };
  let kept: Array<MergedNodule<T>> = [];
  for (const f of strongestFirst) if (!join(kept, f)) kept.push({ strongest: f, outlineOf: f });
  // An outline that grew may now hold nodules kept apart before it: merge again, strongest first,
  // until nothing changes (each round drops at least one entry).
  for (;;) {
    const again: Array<MergedNodule<T>> = [];
    for (const n of kept) if (!join(again, n.outlineOf)) again.push(n);
    if (again.length === kept.length) return kept;
    kept = again;
  }
}
