import type { Vec3, VolumeGeometry } from '../../common/volume';

/**
 * A regular grid laid over a volume's voxel grid with the same axes and the same first voxel
 * centre: grid voxel g along an axis sits at volume voxel g * step (step = grid mm / volume mm).
 * Resampling to a model spacing only scales the index axes, so world coordinates follow from
 * the volume's own voxelToWorld.
 */
export interface ResampleGrid {
  dims: Vec3;
  step: Vec3;
}

export function gridFor(volume: Pick<VolumeGeometry, 'dims' | 'spacingMm'>, spacingMm: Vec3): ResampleGrid {
  const dims = [0, 0, 0] as Vec3;
  const step = [0, 0, 0] as Vec3;
  for (let a = 0; a < 3; a++) {
    step[a] = spacingMm[a]! / volume.spacingMm[a]!;
    dims[a] = Math.floor((volume.dims[a]! - 1) / step[a]! + 1e-6) + 1;
  }
  return { dims, step };
}

/** Grid voxel -> continuous volume voxel. */
export function gridToVolume(g: ResampleGrid, p: Vec3): Vec3 {
  return [p[0] * g.step[0], p[1] * g.step[1], p[2] * g.step[2]];
}

/** Continuous volume voxel -> continuous grid voxel. */
export function volumeToGrid(g: ResampleGrid, v: Vec3): Vec3 {
  return [v[0] / g.step[0], v[1] / g.step[1], v[2] / g.step[2]];
}

/** Per-index lower neighbour, upper neighbour and weight for linear interpolation along one axis. */
export interface AxisTable {
  lo: Int32Array;
  hi: Int32Array;
  w: Float32Array;
}

export function axisTable(count: number, step: number, sourceLength: number, first = 0): AxisTable {
  const lo = new Int32Array(count);
  const hi = new Int32Array(count);
  const w = new Float32Array(count);
  const last = sourceLength - 1;
  for (let g = 0; g < count; g++) {
    const pos = Math.min(Math.max((first + g) * step, 0), last);
    const i0 = Math.floor(pos);
    lo[g] = i0;
    hi[g] = Math.min(i0 + 1, last);
    w[g] = pos - i0;
  }
  return { lo, hi, w };
}

type Source = ArrayLike<number>;

/**
 * Trilinear resampling of `src` (dims srcDims) onto grid rows z0..z1-1 of `grid`, written through
 * `map` (e.g. HU -> network input) into `out` ([z][y][x], grid x/y dims). The grid may point past
 * the source (it is clamped to the edge), which the callers use for padding. `xy0` shifts the
 * grid's first column and row (grid voxels), for a sub-box of a larger grid.
 */
export function resampleSlab(
  src: Source,
  srcDims: Vec3,
  grid: ResampleGrid,
  z0: number,
  z1: number,
  out: Float32Array,
  map: (v: number) => number = (v) => v,
  xy0: readonly [number, number] = [0, 0],
): Float32Array {
  const [gx, gy] = grid.dims;
  const [nx, ny, nz] = srcDims;
  const tx = axisTable(gx, grid.step[0], nx, xy0[0]);
  const ty = axisTable(gy, grid.step[1], ny, xy0[1]);
  const tz = axisTable(z1 - z0, grid.step[2], nz, z0);
  const plane = nx * ny;
  let o = 0;
  for (let z = 0; z < z1 - z0; z++) {
    const k0 = tz.lo[z]! * plane;
    const k1 = tz.hi[z]! * plane;
    const wz = tz.w[z]!;
    for (let y = 0; y < gy; y++) {
      const j0 = ty.lo[y]! * nx;
      const j1 = ty.hi[y]! * nx;
      const wy = ty.w[y]!;
      const a00 = k0 + j0;
      const a01 = k0 + j1;
      const a10 = k1 + j0;
      const a11 = k1 + j1;
      for (let x = 0; x < gx; x++) {
        const i0 = tx.lo[x]!;
        const i1 = tx.hi[x]!;
        const wx = tx.w[x]!;
        const c00 = src[a00 + i0]! + (src[a00 + i1]! - src[a00 + i0]!) * wx;
        const c01 = src[a01 + i0]! + (src[a01 + i1]! - src[a01 + i0]!) * wx;
        const c10 = src[a10 + i0]! + (src[a10 + i1]! - src[a10 + i0]!) * wx;
        const c11 = src[a11 + i0]! + (src[a11 + i1]! - src[a11 + i0]!) * wx;
        const c0 = c00 + (c01 - c00) * wy;
        const c1 = c10 + (c11 - c10) * wy;
        out[o++] = map(c0 + (c1 - c0) * wz);
      }
    }
  }
  return out;
}

/** Clip to the manifest's HU window and scale to [0, 1]: (hu - lo) / (hi - lo). */
export function huScaler([lo, hi]: readonly [number, number]): (hu: number) => number {
  const inv = 1 / (hi - lo);
  return (hu) => (hu <= lo ? 0 : hu >= hi ? 1 : (hu - lo) * inv);
}

/** Trilinear sample of a grid-shaped array at continuous grid coordinates (clamped to the edges). */
export function sampleAt(src: Source, dims: Vec3, x: number, y: number, z: number): number {
  const [nx, ny, nz] = dims;
  const cx = Math.min(Math.max(x, 0), nx - 1);
  const cy = Math.min(Math.max(y, 0), ny - 1);
  const cz = Math.min(Math.max(z, 0), nz - 1);
  const i0 = Math.floor(cx);
  const j0 = Math.floor(cy);
  const k0 = Math.floor(cz);
  const i1 = Math.min(i0 + 1, nx - 1);
  const j1 = Math.min(j0 + 1, ny - 1);
  const k1 = Math.min(k0 + 1, nz - 1);
  const wx = cx - i0;
  const wy = cy - j0;
  const wz = cz - k0;
  const at = (i: number, j: number, k: number) => src[i + j * nx + k * nx * ny]!;
  const c00 = at(i0, j0, k0) + (at(i1, j0, k0) - at(i0, j0, k0)) * wx;
  const c01 = at(i0, j1, k0) + (at(i1, j1, k0) - at(i0, j1, k0)) * wx;
  const c10 = at(i0, j0, k1) + (at(i1, j0, k1) - at(i0, j0, k1)) * wx;
  const c11 = at(i0, j1, k1) + (at(i1, j1, k1) - at(i0, j1, k1)) * wx;
  const c0 = c00 + (c01 - c00) * wy;
  const c1 = c10 + (c11 - c10) * wy;
  return c0 + (c1 - c0) * wz;
}
