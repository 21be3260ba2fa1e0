import type { Vec3, Volume } from '../../common/volume';

/**
 * The characterizer's input: a cube of cubeSize voxels at spacingMm around a centre (continuous
 * volume voxels), trilinear from the HU volume, scaled like the detector input. Voxel index
 * cube/2 sits on the centre; outside the volume counts as air.
 */
export function extractCube(
  volume: Volume,
  centre: Vec3,
  cubeSize: readonly [number, number, number],
  spacingMm: readonly [number, number, number],
  huWindow: readonly [number, number],
  out: Float32Array,
  offset = 0,
): void {
  const [cz, cy, cx] = cubeSize;
  const [vx, vy, vz] = volume.dims;
  const [lo, hi] = huWindow;
  const inv = 1 / (hi - lo);
  const scale = (v: number) => (v <= lo ? 0 : v >= hi ? 1 : (v - lo) * inv);
  const air = scale(-1000);
  const plane = vx * vy;
  const hu = volume.hu;
  const step: Vec3 = [
    spacingMm[0] / volume.spacingMm[0],
    spacingMm[1] / volume.spacingMm[1],
    spacingMm[2] / volume.spacingMm[2],
  ];
  let o = offset;
  for (let z = 0; z < cz; z++) {
    const pz = centre[2] + (z - cz / 2) * step[2];
    const k0 = Math.floor(pz);
    const wz = pz - k0;
    const z0 = k0 * plane;
    const z1 = Math.min(k0 + 1, vz - 1) * plane;
    for (let y = 0; y < cy; y++) {
      const py = centre[1] + (y - cy / 2) * step[1];
      const j0 = Math.floor(py);
      const wy = py - j0;
      const y0 = j0 * vx;
      const y1 = Math.min(j0 + 1, vy - 1) * vx;
      for (let x = 0; x < cx; x++) {
        const px = centre[0] + (x - cx / 2) * step[0];
        if (px < 0 || py < 0 || pz < 0 || px > vx - 1 || py > vy - 1 || pz > vz - 1) {
          out[o++] = air;
          continue;
        }
        const i0 = Math.floor(px);
        const i1 = Math.min(i0 + 1, vx - 1);
        const wx = px - i0;
        const a = hu[z0 + y0 + i0]!;
        const b = hu[z0 + y0 + i1]!;
        const c = hu[z0 + y1 + i0]!;
        const d = hu[z0 + y1 + i1]!;
        const e = hu[z1 + y0 + i0]!;
        const f = hu[z1 + y0 + i1]!;
        const g = hu[z1 + y1 + i0]!;
        const h = hu[z1 + y1 + i1]!;
        const c00 = a + (b - a) * wx;
        const c01 = c + (d - c) * wx;
        const c10 = e + (f - e) * wx;
        const c11 = g + (h - g) * wx;
        const c0 = c00 + (c01 - c00) * wy;
        const c1 = c10 + (c11 - c10) * wy;
        out[o++] = scale(c0 + (c1 - c0) * wz);
      }
    }
  }
}

/** A characterizer input channel: cube [Z, Y, X] voxels at spacingMm [x, y, z]. */
export interface CubeChannel {
  cubeSize: readonly [number, number, number];
  spacingMm: readonly [number, number, number];
}

/**
 * The characterizer v2 input of the model contract (docs: /work/model-contract.md, models/
 * manifest.schema.md): 32^3 at 1 mm (the nodule) and 32^3 at 2 mm (its surroundings), both
 * centred on the candidate. The candidate miner writes exactly these for training.
 */
export const CHARACTERIZER_V2_INPUTS: readonly CubeChannel[] = [
  { cubeSize: [32, 32, 32], spacingMm: [1, 1, 1] },
  { cubeSize: [32, 32, 32], spacingMm: [2, 2, 2] },
];

/** Values per candidate: the sum of the channels' cube volumes. */
export function cubeValues(inputs: readonly CubeChannel[]): number {
  return inputs.reduce((n, c) => n + c.cubeSize[0] * c.cubeSize[1] * c.cubeSize[2], 0);
}

/**
 * All channels of one candidate, one after the other ([channels, Z, Y, X]), at `offset` of `out`:
 * the layout of the characterizer input tensor [N, channels, Z, Y, X].
 */
export function extractCandidateCubes(
  volume: Volume,
  centre: Vec3,
  inputs: readonly CubeChannel[],
  huWindow: readonly [number, number],
  out: Float32Array,
  offset = 0,
): void {
  let o = offset;
  for (const c of inputs) {
    extractCube(volume, centre, c.cubeSize, c.spacingMm, huWindow, out, o);
    o += c.cubeSize[0] * c.cubeSize[1] * c.cubeSize[2];
  }
}
