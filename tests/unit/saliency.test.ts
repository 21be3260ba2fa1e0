/** Occlusion sensitivity arithmetic: which voxels each occluded cube hides, and the slice map. */
import { describe, expect, it } from 'vitest';
import { occludedCubes, occlusionGrid, saliencySlice } from '../../src/core/inference/saliency';

describe('occlusion saliency', () => {
  it('tiles the cube with blocks, each copy hiding exactly one block', () => {
    const size = [4, 4, 6] as const; // z, y, x; x does not divide evenly by the block
    const per = 4 * 4 * 6;
    const cube = Float32Array.from({ length: per }, (_, i) => 1 + i);
    expect(occlusionGrid(size, 2)).toEqual([2, 2, 3]);
    const out = occludedCubes(cube, size, 2, -5);
    expect(out.length).toBe(12 * per);
    for (let n = 0; n < 12; n++) {
      const bz = Math.floor(n / 6);
      const by = Math.floor(n / 3) % 2;
      const bx = n % 3;
      let hidden = 0;
      for (let z = 0; z < 4; z++)
        for (let y = 0; y < 4; y++)
          for (let x = 0; x < 6; x++) {
            const i = z * 24 + y * 6 + x;
            const inBlock = Math.floor(z / 2) === bz && Math.floor(y / 2) === by && Math.floor(x / 2) === bx;
            expect(out[n * per + i]).toBe(inBlock ? -5 : cube[i]);
            if (inBlock) hidden++;
          }
      expect(hidden).toBe(8);
    }
    expect(() => occludedCubes(cube.subarray(1), size, 2, 0)).toThrow(RangeError);
  });

  it('maps score drops to the slice, clamped at 0 and scaled by the largest drop', () => {
    const size = [2, 2, 2] as const;
    // grid 2x2x2 with block 1: scores per block in z, y, x order
    const scores = [0.9, 0.5, 0.8, 1.0, 0.1, 0.9, 0.9, 0.9];
    const z0 = saliencySlice(0.9, scores, size, 1, 0);
    expect([...z0].map((v) => Math.round(v * 1000) / 1000)).toEqual([0, 0.5, 0.125, 0]);
    const z1 = saliencySlice(0.9, scores, size, 1, 1);
    expect([...z1]).toEqual([1, 0, 0, 0]);
    expect(() => saliencySlice(0.9, [0.1], size, 1, 0)).toThrow(/expected 8/);
  });
});
