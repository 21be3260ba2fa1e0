import { describe, expect, it } from 'vitest';
import { voxelToWorld, type DirectionCosines, type Vec3, type Volume } from '../../src/common/volume';
import {
  canonicalFlips,
  flipGeometry,
  flipVoxels,
  heatmapAsStored,
  toCanonical,
} from '../../src/core/inference/canonical-orientation';

const AXIAL: DirectionCosines = [1, 0, 0, 0, 1, 0, 0, 0, 1];
// Rows to the patient's right, slices sorted along row x column = feet-ward: a feet-first series.
const FEET_FIRST: DirectionCosines = [-1, 0, 0, 0, 1, 0, 0, 0, -1];
// Rows to the right, columns to the front: prone.
const PRONE: DirectionCosines = [-1, 0, 0, 0, -1, 0, 0, 0, 1];
const CORONAL: DirectionCosines = [1, 0, 0, 0, 0, -1, 0, 1, 0];

function volume(direction: DirectionCosines): Volume {
  const dims: Vec3 = [4, 3, 2];
  const hu = Int16Array.from({ length: 24 }, (_, n) => n * 10 - 100);
  return { dims, spacingMm: [0.7, 0.8, 2.5], originLps: [-10, 20, -300], direction, hu };
}

describe('canonicalFlips', () => {
  it('reverses the axes of an axial series that run against the patient axes, and leaves other stacks', () => {
    expect(canonicalFlips(AXIAL)).toEqual([false, false, false]);
    expect(canonicalFlips(FEET_FIRST)).toEqual([true, false, true]);
    expect(canonicalFlips(PRONE)).toEqual([true, true, false]);
    // A few degrees of obliquity still has each axis mostly along its own patient axis.
    const c = Math.cos(0.1);
    const s = Math.sin(0.1);
    expect(canonicalFlips([-c, s, 0, s, c, 0, 0, 0, -1])).toEqual([true, false, true]);
    expect(canonicalFlips(CORONAL)).toBeNull();
  });
});

describe('toCanonical', () => {
  it('keeps every voxel at its place in the patient, and undoes itself on the way back', () => {
    for (const dir of [FEET_FIRST, PRONE]) {
      const v = volume(dir);
      const { volume: c, flips } = toCanonical(v);
      expect(c).not.toBe(v);
      expect(canonicalFlips(c.direction)).toEqual([false, false, false]);
      for (let k = 0; k < 2; k++)
        for (let j = 0; j < 3; j++)
          for (let i = 0; i < 4; i++) {
            const at = voxelToWorld(v, [i, j, k]);
            const ci: Vec3 = [flips[0] ? 3 - i : i, flips[1] ? 2 - j : j, flips[2] ? 1 - k : k];
            voxelToWorld(c, ci).forEach((x, a) => expect(x).toBeCloseTo(at[a]!, 9));
            expect(c.hu[ci[0] + ci[1] * 4 + ci[2] * 12]).toBe(v.hu[i + j * 4 + k * 12]);
          }
      // A heatmap made on the canonical grid goes back to the stored one, geometry and bytes.
      const back = heatmapAsStored(
        { ...flipGeometry(v, flips), data: Uint8Array.from(c.hu, (h) => h + 100) },
        flips,
      );
      expect(back.originLps.map((x) => Math.round(x * 1e9) / 1e9)).toEqual(v.originLps);
      expect(back.direction.map((x) => x + 0)).toEqual([...v.direction].map((x) => x + 0));
      expect([...back.data]).toEqual([...v.hu].map((h) => h + 100));
    }
  });

  it('returns the very volume when it is already canonical or cannot be made so', () => {
    for (const dir of [AXIAL, CORONAL]) {
      const v = volume(dir);
      expect(toCanonical(v).volume).toBe(v);
    }
    const data = new Uint8Array(24);
    expect(flipVoxels(data, [4, 3, 2], [false, false, false])).toBe(data);
  });
});
