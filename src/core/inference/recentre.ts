/**
 * Moves a stage-1 candidate to the centre of the object it sits on: the point, within reach of
 * the candidate, deepest inside the dense tissue (largest inscribed sphere of the voxels above
 * RECENTRE_HU inside the lung). Why: the ray-casting characterizer looks outward from the cube
 * centre, and a blob filter's peak beside a contrast-filled vessel sits millimetres off a
 * juxtavascular nodule's centre, towards the vessel (training/stage1_misses.ts); a nodule is
 * thicker than the vessel it touches, so its centre is the deepest point of the two. Outside the
 * lung counts as background, so a juxtapleural nodule is not pulled into the chest wall.
 */
import type { Vec3, Volume } from '../../common/volume';
import { lineScratch, squaredDistanceLine } from './distance-transform';
import type { ResampleGrid } from './grid';

/** Dense enough to be nodule: ground glass starts around -700 HU, aerated lung is ~-850. */
export const RECENTRE_HU = -700;

export interface RecentreMask {
  /** The lung (closed, up to the pleura) on a coarse grid. */
  core: Uint8Array;
  grid: ResampleGrid;
}

/** How far a candidate of this scale may move, mm. */
export function recentreReachMm(scaleMm: number): number {
  return Math.min(8, Math.max(2.5, 0.75 * scaleMm));
}

/**
 * One distance buffer per thread, grown as needed and reused: a stage 1 re-centres ~500
 * candidates, and a fresh zeroed box each (up to ~2 MB) cost more than the transform itself.
 * Every element a call reads it writes first.
 */
let box = new Float64Array(0);

function scratch(len: number): Float64Array {
  if (box.length < len) box = new Float64Array(len);
  return box;
}

/**
 * The candidate's new centre (continuous volume voxel), or the old one when no dense voxel lies
 * within reach. Pure: reads the volume and mask only.
 */
export function recentreCandidate(
  volume: Pick<Volume, 'hu' | 'dims' | 'spacingMm'>,
  mask: RecentreMask | null,
  centre: Vec3,
  scaleMm: number,
  reach = recentreReachMm(scaleMm),
): Vec3 {
  const [nx, ny] = volume.dims;
  const sp = volume.spacingMm;
  const half = reach + Math.min(18, Math.max(5, scaleMm / 2 + 3));
  const lo: number[] = [];
  const n: number[] = [];
  for (let a = 0; a < 3; a++) {
    const h = Math.ceil(half / sp[a]!);
    const c = Math.round(centre[a]!);
    const l = Math.max(0, c - h);
    const u = Math.min(volume.dims[a]! - 1, c + h);
    lo.push(l);
    n.push(Math.max(0, u - l + 1));
  }
  const [bx, by, bz] = n as [number, number, number];
  if (bx === 0 || by === 0 || bz === 0) return centre;
  const len = bx * by * bz;
  // Squared distance (mm^2) to the nearest background voxel; the box's outside counts as background.
  const dist = scratch(len);
  const { hu } = volume;
  // The lung mask's coarse index of each box column, row and slice (-1: no mask).
  const coarse = (a: 0 | 1 | 2, size: number): Int32Array => {
    const t = new Int32Array(size);
    for (let q = 0; q < size; q++) {
      t[q] = mask ? Math.min(mask.grid.dims[a] - 1, Math.round((lo[a]! + q) / mask.grid.step[a])) : -1;
    }
    return t;
  };
  const ci = coarse(0, bx);
  const cj = coarse(1, by);
  const ck = coarse(2, bz);
  const [gx, gy] = mask ? mask.grid.dims : [0, 0];
  for (let k = 0; k < bz; k++) {
    const vk = (lo[2]! + k) * nx * ny;
    for (let j = 0; j < by; j++) {
      const row = vk + (lo[1]! + j) * nx + lo[0]!;
      const cRow = (cj[j]! + ck[k]! * gy) * gx;
      const out = j * bx + k * bx * by;
      for (let i = 0; i < bx; i++) {
        const dense = hu[row + i]! > RECENTRE_HU && (!mask || mask.core[ci[i]! + cRow] === 1);
        dist[out + i] = dense ? Infinity : 0;
      }
    }
  }
  const line = lineScratch(Math.max(bx, by, bz) + 2);
  const stride = [1, bx, bx * by];
  // Box indices within reach along each axis: only there are distances needed in the end, so each
  // pass computes whole lines only where a later pass or the search reads them (exact all the same).
  const win = [0, 1, 2].map((a) => [
    Math.max(0, Math.ceil(centre[a]! - reach / sp[a]!) - lo[a]!),
    Math.min(n[a]! - 1, Math.floor(centre[a]! + reach / sp[a]!) - lo[a]!),
  ]) as Array<[number, number]>;
  for (let a = 0; a < 3; a++) {
    const na = n[a]!;
    const o1 = a === 0 ? 1 : 0;
    const o2 = a === 2 ? 1 : 2;
    const [lo1, hi1] = o1 < a ? win[o1]! : [0, n[o1]! - 1];
    const [lo2, hi2] = o2 < a ? win[o2]! : [0, n[o2]! - 1];
    for (let q2 = lo2; q2 <= hi2; q2++) {
      for (let q1 = lo1; q1 <= hi1; q1++) {
        const base = q1 * stride[o1]! + q2 * stride[o2]!;
        // Padded with background on both ends: the box's outside.
        const { f, out } = line;
        f[0] = 0;
        let dense = false;
        for (let q = 0; q < na; q++) {
          const x = dist[base + q * stride[a]!]!;
          f[q + 1] = x;
          if (x !== 0) dense = true;
        }
        // A line of background (most of them, in aerated lung) stays zero.
        if (!dense) continue;
        f[na + 1] = 0;
        squaredDistanceLine(line, na + 2, sp[a]!);
        for (let q = 0; q < na; q++) dist[base + q * stride[a]!] = out[q + 1]!;
      }
    }
  }
  // The deepest dense voxel within reach; moving costs a little, so a flat plateau keeps the centre.
  let best = -Infinity;
  let at: Vec3 | null = null;
  const reach2 = reach * reach;
  for (let k = win[2]![0]; k <= win[2]![1]; k++) {
    const dz = (lo[2]! + k - centre[2]) * sp[2];
    for (let j = win[1]![0]; j <= win[1]![1]; j++) {
      const dy = (lo[1]! + j - centre[1]) * sp[1];
      for (let i = win[0]![0]; i <= win[0]![1]; i++) {
        const dx = (lo[0]! + i - centre[0]) * sp[0];
        const r2 = dx * dx + dy * dy + dz * dz;
        if (r2 > reach2) continue;
        const dd = dist[i + j * bx + k * bx * by]!;
        if (dd === 0) continue;
        const score = Math.sqrt(dd) - 0.25 * Math.sqrt(r2);
        if (score > best) {
          best = score;
          at = [lo[0]! + i, lo[1]! + j, lo[2]! + k];
        }
      }
    }
  }
  return at ?? centre;
}
