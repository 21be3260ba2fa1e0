import type { Vec3, Volume } from '../../common/volume';

/**
 * The characterizer's input: a cube of cubeSize voxels at spacingMm around a centre (continuous
 * volume voxels), trilinear from the HU volume, scaled like the detector input. Voxel index
 * cube/2 sits on the centre; outside the volume counts as air.
 */
export function extractCube(
  volume: Pick<Volume, 'hu' | 'dims' | 'spacingMm'>,
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
  // Each axis' sample positions, floors and weights once per cube instead of once per sample
  // (this runs 65,536 times per candidate and 1,600 candidates per scan): the same values,
  // computed by the same expressions, so the cube is the same to the bit.
  const xs = axisSamples(centre[0], cx, spacingMm[0] / volume.spacingMm[0], vx, 1);
  const ys = axisSamples(centre[1], cy, spacingMm[1] / volume.spacingMm[1], vy, vx);
  const zs = axisSamples(centre[2], cz, spacingMm[2] / volume.spacingMm[2], vz, plane);
  let o = offset;
  for (let z = 0; z < cz; z++) {
    const z0 = zs.lo[z]!;
    const z1 = zs.hi[z]!;
    const wz = zs.w[z]!;
    for (let y = 0; y < cy; y++) {
      if (!zs.inside[z] || !ys.inside[y]) {
        out.fill(air, o, o + cx);
        o += cx;
        continue;
      }
      const wy = ys.w[y]!;
      const r00 = z0 + ys.lo[y]!;
      const r01 = z0 + ys.hi[y]!;
      const r10 = z1 + ys.lo[y]!;
      const r11 = z1 + ys.hi[y]!;
      for (let x = 0; x < cx; x++) {
        if (!xs.inside[x]) {
          out[o++] = air;
          continue;
        }
        const i0 = xs.lo[x]!;
        const i1 = xs.hi[x]!;
        const wx = xs.w[x]!;
        const a = hu[r00 + i0]!;
        const b = hu[r00 + i1]!;
        const c = hu[r01 + i0]!;
        const d = hu[r01 + i1]!;
        const e = hu[r10 + i0]!;
        const f = hu[r10 + i1]!;
        const g = hu[r11 + i0]!;
        const h = hu[r11 + i1]!;
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

interface AxisSamples {
  /** Offset (index x stride) of the lower and upper neighbour, and the upper one's weight. */
  lo: Int32Array;
  hi: Int32Array;
  w: Float64Array;
  /** Inside [0, n - 1]; a sample outside on any axis is air. */
  inside: Uint8Array;
}

function axisSamples(centre: number, n: number, step: number, size: number, stride: number): AxisSamples {
  const s: AxisSamples = {
    lo: new Int32Array(n),
    hi: new Int32Array(n),
    w: new Float64Array(n),
    inside: new Uint8Array(n),
  };
  for (let t = 0; t < n; t++) {
    const p = centre + (t - n / 2) * step;
    const k0 = Math.floor(p);
    s.inside[t] = p >= 0 && p <= size - 1 ? 1 : 0;
    s.w[t] = p - k0;
    s.lo[t] = k0 * stride;
    s.hi[t] = Math.min(k0 + 1, size - 1) * stride;
  }
  return s;
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
  volume: Pick<Volume, 'hu' | 'dims' | 'spacingMm'>,
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
