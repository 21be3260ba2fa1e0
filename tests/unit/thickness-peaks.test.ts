import { describe, expect, it } from 'vitest';
import type { Vec3, Volume } from '../../src/common/volume';
import { paintedLung } from '../support/painted-lung';
import { thicknessPeaks } from '../../src/core/inference/thickness-peaks';
import { secondCentres, thicknessCandidates, type Stage1Candidate } from '../../src/core/inference/stage1';
import type { ResampleGrid } from '../../src/core/inference/grid';

const SPACING: Vec3 = [0.7, 0.7, 1.25];
const DIMS: Vec3 = [80, 80, 48];

const lung = (paint: (p: Vec3) => number | null): Volume => paintedLung(DIMS, SPACING, paint);

/** A coarse lung core (2x the voxel steps) that is 1 where `inside` holds at the coarse voxel's centre. */
function core(inside: (p: Vec3) => boolean): { core: Uint8Array; grid: ResampleGrid } {
  const step: Vec3 = [2, 2, 2];
  const dims: Vec3 = [40, 40, 24];
  const mask = new Uint8Array(dims[0] * dims[1] * dims[2]);
  for (let k = 0; k < dims[2]; k++)
    for (let j = 0; j < dims[1]; j++)
      for (let i = 0; i < dims[0]; i++)
        if (inside([i * step[0] * SPACING[0], j * step[1] * SPACING[1], k * step[2] * SPACING[2]]))
          mask[i + j * dims[0] + k * dims[0] * dims[1]] = 1;
  return { core: mask, grid: { dims, step } };
}

const mm = (v: Vec3): Vec3 => [v[0] * SPACING[0], v[1] * SPACING[1], v[2] * SPACING[2]];
const dist = (a: Vec3, b: Vec3) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
const sphere = (c: Vec3, r: number) => (p: Vec3) => dist(p, c) <= r;
const vesselAlongZ = (x: number, y: number, r: number) => (p: Vec3) => Math.hypot(p[0] - x, p[1] - y) <= r;
const everywhere = core(() => true);

// A 8 mm nodule at (28, 28, 30) mm on a 3 mm vessel running along z at x = 33.5 mm: the Hessian
// reads the pair as a tube; the distance transform peaks at the nodule's centre.
const NODULE: Vec3 = [28, 28, 30];

describe('thicknessPeaks', () => {
  it('puts the first peak at the centre of a juxtavascular nodule, with its radius', () => {
    const nodule = sphere(NODULE, 4);
    const vessel = vesselAlongZ(33.5, 28, 1.5);
    const peaks = thicknessPeaks(
      lung((p) => (nodule(p) || vessel(p) ? 40 : null)),
      everywhere,
    );
    expect(peaks.length).toBeGreaterThan(0);
    expect(dist(mm(peaks[0]!.centre), NODULE)).toBeLessThanOrEqual(1);
    expect(peaks[0]!.radiusMm).toBeGreaterThan(3.2);
    expect(peaks[0]!.radiusMm).toBeLessThanOrEqual(4.5);
    // Thickest first, and the vessel's own peaks are thinner than the nodule.
    for (let n = 1; n < peaks.length; n++)
      expect(peaks[n]!.radiusMm).toBeLessThanOrEqual(peaks[n - 1]!.radiusMm);
    expect(peaks.slice(1).every((p) => p.radiusMm < 2.5)).toBe(true);
  });

  it('keeps ground glass (-550 HU) and drops tissue thinner than 3 mm or outside the lung core', () => {
    const ggo = sphere(NODULE, 4);
    const thin = vesselAlongZ(12, 12, 1); // 2 mm vessel: no peak
    const vol = lung((p) => (ggo(p) ? -550 : thin(p) ? 40 : null));
    const all = thicknessPeaks(vol, everywhere);
    expect(all).toHaveLength(1);
    expect(dist(mm(all[0]!.centre), NODULE)).toBeLessThanOrEqual(1);
    // The same nodule outside the core (the core ends at x = 20 mm): nothing.
    expect(
      thicknessPeaks(
        vol,
        core((p) => p[0] < 20),
      ),
    ).toHaveLength(0);
    // Nothing dense at all: an empty list, not an error.
    expect(
      thicknessPeaks(
        lung(() => null),
        everywhere,
      ),
    ).toHaveLength(0);
  });

  it('marks the peaks whose thickness the lung core cut off, not those bounded by aerated lung', () => {
    // Chest wall from x = 0 to 12 mm that the core (x < 8 mm outside it) half took in, as the
    // closing takes in pleura beside the spine; and the juxtavascular nodule in open lung.
    const wall = (p: Vec3) => p[0] <= 12;
    const nodule = sphere(NODULE, 4);
    const vessel = vesselAlongZ(33.5, 28, 1.5);
    const vol = lung((p) => (wall(p) || nodule(p) || vessel(p) ? 40 : null));
    const peaks = thicknessPeaks(
      vol,
      core((p) => p[0] >= 8),
    );
    const atNodule = peaks.filter((p) => dist(mm(p.centre), NODULE) <= 1);
    const inWall = peaks.filter((p) => mm(p.centre)[0] <= 12);
    expect(atNodule).toHaveLength(1);
    expect(atNodule[0]!.atCoreEdge).toBe(false);
    // The wall's strip inside the core (8-12 mm) is 4 mm thick only because the core ends there.
    expect(inWall.length).toBeGreaterThan(0);
    expect(inWall.every((p) => p.atCoreEdge)).toBe(true);
    // With the whole wall inside the core, its peaks are still at an edge: the image's.
    expect(
      thicknessPeaks(vol, everywhere)
        .filter((p) => mm(p.centre)[0] <= 12)
        .every((p) => p.atCoreEdge),
    ).toBe(true);
  });

  it('keeps one peak per object, thickest first, the same on every run', () => {
    const a = sphere([14, 14, 15], 3);
    const b = sphere([40, 40, 40], 4);
    const c = sphere([14, 40, 40], 2.5);
    const vol = lung((p) => (a(p) || b(p) || c(p) ? 40 : null));
    const peaks = thicknessPeaks(vol, everywhere);
    expect(peaks.map((p) => mm(p.centre).map(Math.round))).toEqual([
      [40, 40, 40],
      [14, 14, 15],
      [14, 40, 40],
    ]);
    expect(thicknessPeaks(vol, everywhere)).toEqual(peaks);
  });
});

/** A blob candidate at `centre`, the kind the thickness peaks are judged against. */
const cand = (centre: Vec3): Stage1Candidate => ({
  centre,
  source: 'blob',
  scaleMm: 6,
  blobScore: 1,
  unetScore: null,
});

describe('thicknessCandidates', () => {
  it('adds only the peaks more than 3 mm from every existing candidate, as thickness candidates', () => {
    const spacing: Vec3 = [1, 1, 2];
    const peaks = [
      { centre: [10, 10, 10] as Vec3, radiusMm: 4, atCoreEdge: false },
      { centre: [20, 10, 10] as Vec3, radiusMm: 3, atCoreEdge: false },
      { centre: [30, 10, 11] as Vec3, radiusMm: 2, atCoreEdge: false },
    ];
    // 2.9 mm from the first peak, 3.1 mm from the third (one slice = 2 mm, plus 2.3 mm in-plane).
    const existing = [cand([12.9, 10, 10]), cand([32.3, 10, 10])];
    const out = thicknessCandidates(existing, peaks, spacing);
    expect(out).toEqual([
      { centre: [20, 10, 10], source: 'thickness', scaleMm: 6, blobScore: null, unetScore: null },
      { centre: [30, 10, 11], source: 'thickness', scaleMm: 4, blobScore: null, unetScore: null },
    ]);
    // The quota counts the added ones: the peak beside an existing candidate does not use it up.
    expect(thicknessCandidates(existing, peaks, spacing, 1)).toEqual(out.slice(0, 1));
    expect(thicknessCandidates([], peaks, spacing, 2).map((c) => c.centre)).toEqual([
      [10, 10, 10],
      [20, 10, 10],
    ]);
  });
});

describe('secondCentres', () => {
  it('adds the peaks whose nearest candidate lies more than 1 and at most 4 mm away, and no others', () => {
    const spacing: Vec3 = [1, 1, 2];
    const peaks = [
      { centre: [10, 10, 10] as Vec3, radiusMm: 4, atCoreEdge: false }, // 0.5 mm from a candidate: that candidate
      { centre: [20, 10, 10] as Vec3, radiusMm: 3, atCoreEdge: false }, // 2.5 mm from one, 6 mm from the other
      { centre: [30, 10, 11] as Vec3, radiusMm: 2, atCoreEdge: false }, // 4.0 mm exactly (one slice is 2 mm; 2 mm in z, sqrt(12) in-plane)
      { centre: [50, 10, 10] as Vec3, radiusMm: 2, atCoreEdge: false }, // far from every candidate: not a second centre
    ];
    const existing = [cand([10.5, 10, 10]), cand([22.5, 10, 10]), cand([30, 10 + Math.sqrt(12), 10])];
    expect(secondCentres(existing, peaks, spacing)).toEqual([
      { centre: [20, 10, 10], source: 'thickness', scaleMm: 6, blobScore: null, unetScore: null },
      { centre: [30, 10, 11], source: 'thickness', scaleMm: 4, blobScore: null, unetScore: null },
    ]);
    // The band is the caller's: (0, 1] keeps only the first.
    expect(secondCentres(existing, peaks, spacing, [0, 1]).map((c) => c.centre)).toEqual([[10, 10, 10]]);
    expect(secondCentres([], peaks, spacing)).toEqual([]);
    // A peak whose thickness the lung core's edge cut off is no second centre, however near.
    const walled = peaks.map((p) => ({ ...p, atCoreEdge: p.radiusMm === 3 }));
    expect(secondCentres(existing, walled, spacing).map((c) => c.centre)).toEqual([[30, 10, 11]]);
  });
});
