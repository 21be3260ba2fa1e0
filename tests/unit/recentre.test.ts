import { describe, expect, it } from 'vitest';
import type { Vec3, Volume } from '../../src/common/volume';
import { paintedLung } from '../support/painted-lung';
import { recentreCandidate, recentreReachMm, type RecentreMask } from '../../src/core/inference/recentre';

const SPACING: Vec3 = [0.7, 0.7, 1.25];
const DIMS: Vec3 = [80, 80, 48];

const lung = (paint: (p: Vec3) => number | null): Volume => paintedLung(DIMS, SPACING, paint);

const mm = (v: Vec3): Vec3 => [v[0] * SPACING[0], v[1] * SPACING[1], v[2] * SPACING[2]];
const vox = (p: Vec3): Vec3 => [p[0] / SPACING[0], p[1] / SPACING[1], p[2] / SPACING[2]];
const dist = (a: Vec3, b: Vec3) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

// A nodule of radius 4 mm at (28, 28, 30) mm touching a vessel of radius 1.5 mm along z at x = 33.5.
const NODULE: Vec3 = [28, 28, 30];
const sphere = (c: Vec3, r: number) => (p: Vec3) => dist(p, c) <= r;
const vesselAlongZ = (x: number, y: number, r: number) => (p: Vec3) => Math.hypot(p[0] - x, p[1] - y) <= r;

describe('recentreCandidate', () => {
  it('moves a candidate beside a juxtavascular nodule, pulled towards the vessel, to the nodule centre', () => {
    const nodule = sphere(NODULE, 4);
    const vessel = vesselAlongZ(33.5, 28, 1.5);
    const vol = lung((p) => (nodule(p) || vessel(p) ? 40 : null));
    // Where a blob filter's peak sits: 3.5 mm off-centre towards the vessel.
    const start = vox([31.5, 28, 30]);
    const moved = mm(recentreCandidate(vol, null, start, 8));
    expect(dist(moved, NODULE)).toBeLessThanOrEqual(1);
    expect(dist(mm(start), NODULE)).toBeGreaterThan(3);
  });

  it('finds a ground-glass nodule centre beside a contrast-filled vessel', () => {
    const nodule = sphere(NODULE, 4);
    const vessel = vesselAlongZ(33.5, 28, 1.5);
    const vol = lung((p) => (vessel(p) ? 150 : nodule(p) ? -550 : null));
    const moved = mm(recentreCandidate(vol, null, vox([32, 28, 30]), 8));
    expect(dist(moved, NODULE)).toBeLessThanOrEqual(1);
  });

  it('keeps a juxtapleural nodule out of the chest wall when the lung mask is given', () => {
    // Chest wall: everything beyond x = 32 mm (outside the lung mask); the nodule touches it.
    const wall = (p: Vec3) => p[0] >= 32;
    const nodule = sphere(NODULE, 4);
    const vol = lung((p) => (wall(p) || nodule(p) ? 40 : null));
    const step: Vec3 = [2, 2, 2];
    const grid = { dims: [40, 40, 24] as Vec3, step };
    const core = new Uint8Array(40 * 40 * 24);
    for (let k = 0; k < 24; k++)
      for (let j = 0; j < 40; j++)
        for (let i = 0; i < 40; i++) if (i * step[0] * SPACING[0] < 32) core[i + j * 40 + k * 1600] = 1;
    const mask: RecentreMask = { core, grid };
    // A blob peak on the pleura, where nodule and wall meet.
    const start = vox([32.5, 28, 30]);
    const inLung = mm(recentreCandidate(vol, mask, start, 8));
    expect(dist(inLung, NODULE)).toBeLessThanOrEqual(1.5);
    // Without the mask the wall is the deepest dense tissue within reach.
    const intoWall = mm(recentreCandidate(vol, null, start, 8));
    expect(intoWall[0]).toBeGreaterThan(32);
  });

  it('leaves a candidate alone where nothing dense lies within reach, or where it already is the centre', () => {
    const vol = lung((p) => (sphere(NODULE, 4)(p) ? 40 : null));
    const far = vox([10, 10, 10]);
    expect(recentreCandidate(vol, null, far, 6)).toEqual(far);
    const centre = vox(NODULE);
    expect(dist(mm(recentreCandidate(vol, null, centre, 8)), NODULE)).toBeLessThanOrEqual(0.8);
  });

  it('reaches 2.5-8 mm, three quarters of the candidate scale', () => {
    expect(recentreReachMm(2)).toBe(2.5);
    expect(recentreReachMm(8)).toBe(6);
    expect(recentreReachMm(32)).toBe(8);
  });
});
