import { describe, expect, it } from 'vitest';
import type { Vec3 } from '../../src/common/volume';
import { fuseScore, heatNear } from '../../src/core/inference/score-fusion';

describe('heatNear: the heatmap maximum within a radius of each candidate', () => {
  // A 10 x 8 x 6 model grid laid every 2 volume voxels in x and y, every voxel in z (volume
  // 0.5 x 0.5 x 1 mm, grid 1 mm).
  const grid = { dims: [10, 8, 6] as Vec3, step: [2, 2, 1] as Vec3 };
  const mm: Vec3 = [1, 1, 1];
  const at = (x: number, y: number, z: number) => x + 10 * (y + 8 * z);

  it('takes the largest value within the radius, in mm on the model grid', () => {
    const prob = new Float32Array(10 * 8 * 6);
    prob[at(5, 4, 3)] = 0.25;
    prob[at(7, 4, 3)] = 0.75; // 2 mm from grid (5, 4, 3)
    prob[at(8, 4, 3)] = 0.9; // 3 mm away: outside a 2 mm radius
    // Volume voxel (10, 8, 3) is grid voxel (5, 4, 3).
    const centre: Vec3 = [10, 8, 3];
    expect(heatNear(prob, grid, mm, [centre], 1)[0]).toBeCloseTo(0.25, 6);
    expect(heatNear(prob, grid, mm, [centre], 2)[0]).toBeCloseTo(0.75, 6);
    expect(heatNear(prob, grid, mm, [centre], 3)[0]).toBeCloseTo(0.9, 6);
    // One value per centre, in order.
    const two = heatNear(prob, grid, mm, [[16, 8, 3], centre], 1);
    expect(two[0]).toBeCloseTo(0.9, 6);
    expect(two[1]).toBeCloseTo(0.25, 6);
  });

  it('reads a centre between grid voxels and at the grid edge; 0 where no voxel is within reach', () => {
    const prob = new Float32Array(10 * 8 * 6);
    prob[at(0, 0, 0)] = 0.5;
    prob[at(9, 7, 5)] = 0.6;
    expect(heatNear(prob, grid, mm, [[0.6, 0.6, 0.3]], 1)).toEqual([0.5]);
    expect(heatNear(prob, grid, mm, [[18, 14, 5]], 0.5)[0]).toBeCloseTo(0.6, 6);
    // 1.6 mm from every grid voxel along z: nothing within 1 mm.
    expect(heatNear(prob, grid, mm, [[0, 0, 7.6]], 1)).toEqual([0]);
  });

  it('refuses a heatmap that is not the grid', () => {
    expect(() => heatNear(new Float32Array(5), grid, mm, [[0, 0, 0]], 2)).toThrow(RangeError);
  });
});

describe('fuseScore: sigmoid(logit(p_nodule) + w logit(h))', () => {
  const f = { weight: 0.2, heatClip: 1e-4 };

  it('computes the fused probability (values from Python, training/fusion_check.py)', () => {
    expect(fuseScore(0.8, 0.9, f)).toBeCloseTo(0.8612533706444349, 12);
    // h = 0 is clipped to 1e-4, so a candidate the U-Net left cold is lowered, never zeroed.
    expect(fuseScore(0.8, 0, f)).toBeCloseTo(0.3879936434676825, 12);
  });

  it('leaves p alone at h = 0.5, raises it above and lowers it below, in order', () => {
    expect(fuseScore(0.95, 0.5, f)).toBeCloseTo(0.95, 12);
    expect(fuseScore(0.95, 0.6, f)).toBeGreaterThan(0.95);
    expect(fuseScore(0.95, 0.4, f)).toBeLessThan(0.95);
    const ps = [0.01, 0.3, 0.9, 0.995];
    const q = ps.map((p) => fuseScore(p, 0.2, f));
    for (let i = 1; i < q.length; i++) expect(q[i]!).toBeGreaterThan(q[i - 1]!);
  });

  it('stays finite and below 1 for a saturated p_nodule', () => {
    const q = fuseScore(1, 1, f);
    expect(q).toBeLessThan(1);
    expect(q).toBeGreaterThan(0.9999999);
    expect(Number.isFinite(fuseScore(0, 0, f))).toBe(true);
  });
});
