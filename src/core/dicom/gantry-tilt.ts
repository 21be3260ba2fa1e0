/**
 * A series acquired with a tilted gantry stores slices whose positions step along the table (the
 * patient's z) while the image planes lean by the tilt: each slice sits shifted in its own plane
 * from where a grid perpendicular to the slices would put it. Stacking the slices as stored
 * shears the anatomy and moves every world coordinate (a nodule 150 mm down a 15° series reads
 * 39 mm off). Each slice is shifted back in its plane, so that the volume is a true orthogonal
 * grid: what the viewer shows, what the analysis measures and where it says a finding is agree
 * with the patient. This is the correction dcm2niix and ITK's readers apply.
 */
import type { Vec3, VolumeGeometry } from '../../common/volume';
import { dot } from './series-geometry';

/** Below this shift (pixels) a slice is left as stored: scanners jitter positions by microns. */
const MIN_SHIFT_PX = 0.05;

/** In-plane offset of one slot's image from the orthogonal grid, in pixels along i and j. */
export interface SliceShift {
  slot: number;
  i: number;
  j: number;
}

/**
 * The in-plane offset of each frame's top-left pixel from slot 0's, in pixels along the volume's
 * row (i) and column (j) axes; only slots that move by MIN_SHIFT_PX or more are listed.
 */
export function sliceShifts(
  frames: readonly { slot: number; positionLps: Vec3 }[],
  geometry: Pick<VolumeGeometry, 'originLps' | 'direction' | 'spacingMm'>,
): SliceShift[] {
  const d = geometry.direction;
  const row: Vec3 = [d[0], d[1], d[2]];
  const col: Vec3 = [d[3], d[4], d[5]];
  const o = geometry.originLps;
  const out: SliceShift[] = [];
  for (const f of frames) {
    const p = f.positionLps;
    const rel: Vec3 = [p[0] - o[0], p[1] - o[1], p[2] - o[2]];
    const i = dot(rel, row) / geometry.spacingMm[0];
    const j = dot(rel, col) / geometry.spacingMm[1];
    if (Math.hypot(i, j) >= MIN_SHIFT_PX) out.push({ slot: f.slot, i, j });
  }
  return out;
}

/** The volume on the orthogonal grid: widened so that every shifted slice stays whole. */
export interface UntiltedVolume {
  hu: Int16Array;
  dims: Vec3;
  originLps: Vec3;
}

/**
 * The volume with each listed slice moved onto the orthogonal grid: voxel (i, j) of slot k takes
 * the stored image's value at (i - shift.i, j - shift.j), linearly interpolated. The grid grows
 * on each side by what the slices move, so no slice loses its edge (a 15° tilt over 330 mm moves
 * the last slice 86 mm: kept in place, the posterior lungs of the upper slices were cut off and the
 * lung mask failed). Where no stored image reaches reads `fill` (air: outside the reconstruction).
 */
export function untilt(
  volume: { hu: Int16Array; dims: Readonly<Vec3> } & Pick<
    VolumeGeometry,
    'originLps' | 'direction' | 'spacingMm'
  >,
  shifts: readonly SliceShift[],
  fill: number,
): UntiltedVolume {
  const [nx, ny, nz] = volume.dims;
  if (shifts.length === 0) return { hu: volume.hu, dims: [nx, ny, nz], originLps: [...volume.originLps] };
  let [loI, hiI, loJ, hiJ] = [0, 0, 0, 0];
  for (const s of shifts) {
    loI = Math.min(loI, s.i);
    hiI = Math.max(hiI, s.i);
    loJ = Math.min(loJ, s.j);
    hiJ = Math.max(hiJ, s.j);
  }
  const [padI, padJ] = [Math.ceil(-loI), Math.ceil(-loJ)];
  const mx = nx + padI + Math.ceil(hiI);
  const my = ny + padJ + Math.ceil(hiJ);
  const byslot = new Map(shifts.map((s) => [s.slot, s]));
  const out = new Int16Array(mx * my * nz).fill(fill);
  const plane = nx * ny;
  for (let k = 0; k < nz; k++) {
    const src = volume.hu.subarray(k * plane, (k + 1) * plane);
    const dst = out.subarray(k * mx * my, (k + 1) * mx * my);
    const s = byslot.get(k);
    // Output (x, y) is grid voxel (x - padI, y - padJ), read from the stored image at that minus
    // the slice's shift.
    const di = -padI - (s?.i ?? 0);
    const dj = -padJ - (s?.j ?? 0);
    const fi = Math.floor(di);
    const wi = di - fi;
    const fj = Math.floor(dj);
    const wj = dj - fj;
    for (let y = 0; y < my; y++) {
      const j0 = y + fj;
      const row0 = j0 >= 0 && j0 < ny ? j0 * nx : -1;
      const row1 = j0 + 1 >= 0 && j0 + 1 < ny ? (j0 + 1) * nx : -1;
      if (row0 < 0 && row1 < 0) continue;
      for (let x = 0; x < mx; x++) {
        const i0 = x + fi;
        const in0 = i0 >= 0 && i0 < nx;
        const in1 = i0 + 1 >= 0 && i0 + 1 < nx;
        if (!in0 && !in1) continue;
        // A corner outside the image counts as `fill`: the edge fades to air over one pixel.
        const a = row0 >= 0 && in0 ? src[row0 + i0]! : fill;
        const b = row0 >= 0 && in1 ? src[row0 + i0 + 1]! : fill;
        const c = row1 >= 0 && in0 ? src[row1 + i0]! : fill;
        const e = row1 >= 0 && in1 ? src[row1 + i0 + 1]! : fill;
        const top = a + (b - a) * wi;
        const bottom = c + (e - c) * wi;
        dst[y * mx + x] = Math.round(top + (bottom - top) * wj);
      }
    }
  }
  const d = volume.direction;
  const [sx, sy] = volume.spacingMm;
  const o = volume.originLps;
  const originLps: Vec3 = [0, 1, 2].map((w) => o[w]! - padI * sx * d[w]! - padJ * sy * d[3 + w]!) as Vec3;
  return { hu: out, dims: [mx, my, nz], originLps };
}

/** The largest shift in mm, for the warning. */
export function largestShiftMm(shifts: readonly SliceShift[], spacingMm: Readonly<Vec3>): number {
  let max = 0;
  for (const s of shifts) max = Math.max(max, Math.hypot(s.i * spacingMm[0], s.j * spacingMm[1]));
  return max;
}
