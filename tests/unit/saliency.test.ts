/**
 * Occlusion sensitivity arithmetic (which voxels each occluded cube hides, the slice map), and the
 * real characterizer on a synthetic nodule when a models folder is there.
 */
import type { DirectionCosines } from '../../src/common/volume';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  characterizerSaliency,
  occludedCubes,
  occlusionGrid,
  saliencySlice,
} from '../../src/core/inference/saliency';
import { releaseRuntimes } from '../../src/core/inference';
import { flipGeometry, flipVoxels } from '../../src/core/inference/canonical-orientation';
import { repoRoot } from '../support/shared-data';

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

const modelsDir = process.env.PULMOLENS_MODELS_DIR ?? join(repoRoot, 'models');
const noModels = existsSync(join(modelsDir, 'manifest.json'))
  ? null
  : `no ${join(modelsDir, 'manifest.json')}`;

/** 64^3 air at 1 mm, soft tissue (40 HU) where `tissue` holds. */
function airCube(tissue: (i: number, j: number, k: number) => boolean) {
  const n = 64;
  const hu = new Int16Array(n * n * n).fill(-1000);
  for (let k = 0; k < n; k++)
    for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) if (tissue(i, j, k)) hu[i + n * (j + n * k)] = 40;
  return {
    dims: [n, n, n] as [number, number, number],
    spacingMm: [1, 1, 1] as [number, number, number],
    originLps: [0, 0, 0] as [number, number, number],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as DirectionCosines,
    hu,
  };
}

describe.skipIf(noModels !== null)('characterizer saliency with the models', () => {
  it('gives a 0..1 map over the cube of a synthetic nodule', { timeout: 120_000 }, async () => {
    // A 10 mm soft-tissue sphere at the centre.
    const volume = airCube((i, j, k) => Math.hypot(i - 32, j - 32, k - 32) <= 5);
    const r = await characterizerSaliency(volume, [32, 32, 32], { modelsDir, provider: 'cpu' }, {});
    expect(r.size).toEqual([32, 32, 32]);
    expect(r.map.length).toBe(32 * 32);
    expect(Math.min(...r.map)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...r.map)).toBeLessThanOrEqual(1);
    // The cube's centre slice shows the sphere (soft tissue) in the middle and air at the corner.
    expect(r.hu[16 * 32 + 16]!).toBeGreaterThan(0);
    expect(r.hu[0]!).toBeLessThan(-900);
    expect(r.baseScore).toBeGreaterThanOrEqual(0);
    expect(r.baseScore).toBeLessThanOrEqual(1);
    await releaseRuntimes();
  });

  it(
    'scores and shows the cube the same way when the series was stored mirrored',
    { timeout: 120_000 },
    async () => {
      // A 10 mm nodule with a vessel leaving it towards the patient's left (+x): not symmetric.
      const volume = airCube(
        (i, j, k) => Math.hypot(i - 32, j - 32, k - 32) <= 5 || (i > 32 && Math.hypot(j - 30, k - 32) <= 1.5),
      );
      const { hu } = volume;
      // Stored with rows running to the patient's right (and so slices feet-ward), every voxel in place.
      const flips = [true, false, true] as const;
      const mirrored = { ...flipGeometry(volume, flips), hu: flipVoxels(hu, volume.dims, flips) };
      const models = { modelsDir, provider: 'cpu' } as const;
      const a = await characterizerSaliency(volume, [32, 32, 32], models, {});
      const b = await characterizerSaliency(mirrored, [31, 32, 31], models, {});
      expect(b.baseScore).toBe(a.baseScore);
      expect([...b.hu]).toEqual([...a.hu]);
      expect([...b.map]).toEqual([...a.map]);
      // The vessel is on the right half of the shown slice (patient's left) in both.
      expect(a.hu[14 * 32 + 28]!).toBeGreaterThan(-500);
      expect(a.hu[14 * 32 + 3]!).toBeLessThan(-900);
      await releaseRuntimes();
    },
  );
});
