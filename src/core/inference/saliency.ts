/**
 * Why the characterizer scored a candidate as it did: occlusion sensitivity on its cube. Each
 * block of the cube is replaced by air in turn and the drop of the nodule score is recorded; the
 * blocks whose loss lowers the score most are what drove it. The cube arithmetic is pure; only
 * `characterizerSaliency` runs the model (the same verified runtime as the pipeline).
 */
import type { Vec3, Volume } from '../../common/volume';
import { toCanonical } from './canonical-orientation';
import { cubeValues, extractCandidateCubes } from './cubes';
import type { ModelChoice } from './config';
import { getRuntime } from './runtime';

/** Cube dims [z, y, x] (index z*ny*nx + y*nx + x, as extractCube writes it). */
export type CubeSize = readonly [number, number, number];

/** Blocks per axis when the cube is tiled by `block`-voxel occluders. */
export function occlusionGrid(size: CubeSize, block: number): [number, number, number] {
  return [Math.ceil(size[0] / block), Math.ceil(size[1] / block), Math.ceil(size[2] / block)];
}

/** One copy of the cube per block, with that block set to `fill`: [n * cube] in grid order. */
export function occludedCubes(cube: Float32Array, size: CubeSize, block: number, fill: number): Float32Array {
  const [nz, ny, nx] = size;
  const per = nz * ny * nx;
  if (cube.length !== per) throw new RangeError(`cube has ${cube.length} values, expected ${per}`);
  const [gz, gy, gx] = occlusionGrid(size, block);
  const out = new Float32Array(gz * gy * gx * per);
  let n = 0;
  for (let bz = 0; bz < gz; bz++) {
    for (let by = 0; by < gy; by++) {
      for (let bx = 0; bx < gx; bx++, n++) {
        const o = n * per;
        out.set(cube, o);
        for (let z = bz * block; z < Math.min(nz, (bz + 1) * block); z++) {
          for (let y = by * block; y < Math.min(ny, (by + 1) * block); y++) {
            const row = o + z * ny * nx + y * nx;
            out.fill(fill, row + bx * block, row + Math.min(nx, (bx + 1) * block));
          }
        }
      }
    }
  }
  return out;
}

/**
 * The in-plane saliency of slice z (ny x nx): each voxel takes the score drop of the block that
 * covers it, clamped at 0 (occlusions that raise the score explain nothing) and scaled so the
 * largest drop over the whole cube is 1.
 */
export function saliencySlice(
  baseScore: number,
  occludedScores: ArrayLike<number>,
  size: CubeSize,
  block: number,
  z: number,
): Float32Array {
  const [, ny, nx] = size;
  const [gz, gy, gx] = occlusionGrid(size, block);
  if (occludedScores.length !== gz * gy * gx) {
    throw new RangeError(`expected ${gz * gy * gx} occluded scores, got ${occludedScores.length}`);
  }
  let max = 0;
  for (let i = 0; i < occludedScores.length; i++) max = Math.max(max, baseScore - occludedScores[i]!);
  const bz = Math.min(gz - 1, Math.floor(z / block));
  const out = new Float32Array(ny * nx);
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const drop =
        baseScore - occludedScores[(bz * gy + Math.floor(y / block)) * gx + Math.floor(x / block)]!;
      out[y * nx + x] = max > 0 ? Math.max(0, drop) / max : 0;
    }
  }
  return out;
}

export interface CubeSaliency {
  /** Cube edge [z, y, x] in voxels at the characterizer's spacing. */
  size: [number, number, number];
  /** The centre axial slice of the cube in HU (ny x nx). */
  hu: Float32Array;
  /** Saliency of that slice, 0..1 (ny x nx). */
  map: Float32Array;
  baseScore: number;
}

export const SALIENCY_BLOCK = 8;

/**
 * Occlusion sensitivity of the characterizer around a candidate centre (continuous voxel index on
 * the grid the series was stored on). Only the first (finest) channel is occluded; wider context
 * channels stay as they are. The cube is cut in the canonical voxel order the analysis scores in
 * (canonical-orientation.ts), so its score is the analysis' and its slice is shown the way the
 * viewer shows an axial image (patient's left on the right) however the series was stored.
 */
export async function characterizerSaliency(
  stored: Volume,
  storedVoxel: Vec3,
  models: ModelChoice,
  opts: { block?: number } = {},
): Promise<CubeSaliency> {
  const { volume, flips } = toCanonical(stored);
  const centreVoxel = storedVoxel.map((v, a) => (flips[a] ? volume.dims[a]! - 1 - v : v)) as Vec3;
  const rt = await getRuntime(models.modelsDir, models.provider);
  const c = rt.manifest.characterizer;
  const size = [...c.inputs[0]!.cubeSize] as [number, number, number];
  const per = size[0] * size[1] * size[2];
  const all = cubeValues(c.inputs);
  const input = new Float32Array(all);
  extractCandidateCubes(volume, centreVoxel, c.inputs, c.huWindow, input);
  const cube = input.subarray(0, per);
  const block = opts.block ?? SALIENCY_BLOCK;
  const base = (await rt.characterize(input, 1)).nodule[0] ?? 0;
  const [lo, hi] = c.huWindow;
  // Occluders are air, scaled like the cube (extractCube's scaling of -1000 HU).
  const air = Math.min(1, Math.max(0, (-1000 - lo) / (hi - lo)));
  const variants = occludedCubes(cube, size, block, air);
  const n = variants.length / per;
  const scores = new Float32Array(n);
  const batch = 16;
  const tensor = new Float32Array(batch * all);
  for (let s = 0; s < n; s += batch) {
    const m = Math.min(batch, n - s);
    for (let b = 0; b < m; b++) {
      tensor.set(input, b * all);
      tensor.set(variants.subarray((s + b) * per, (s + b + 1) * per), b * all);
    }
    const r = await rt.characterize(tensor.subarray(0, m * all), m);
    scores.set(r.nodule.subarray(0, m), s);
  }
  const z = Math.floor(size[0] / 2);
  const hu = new Float32Array(size[1] * size[2]);
  for (let i = 0; i < hu.length; i++) hu[i] = lo + cube[z * size[1] * size[2] + i]! * (hi - lo);
  return { size, hu, map: saliencySlice(base, scores, size, block, z), baseScore: base };
}
