/**
 * The analysis runs on one voxel order whatever order the series was stored in: rows running to
 * the patient's left, columns to the back, slices to the head (the direction cosines of the
 * LIDC-IDRI scans every model was trained and validated on). Why: the models are not exactly
 * invariant to flips, so the same patient stored mirrored (a feet-first or prone protocol, or
 * another scanner's convention) scored differently: LIDC-IDRI-0001 stored with rows and columns
 * reversed listed a second finding at p 0.886 that the scan as stored never lists (session 28).
 * Only sign flips of an axial series are undone; a series whose axes are not the patient's x, y
 * and z in that order (a coronal or sagittal stack) is analysed as stored.
 */
import type { Vec3, Volume, VolumeGeometry } from '../../common/volume';
import type { Heatmap } from './detect';

/** Which volume axes (i, j, k) the analysis reverses. */
export type AxisFlips = readonly [boolean, boolean, boolean];

const NONE: AxisFlips = [false, false, false];

/**
 * The flips that bring an axial series to the canonical order: axis a is reversed when its
 * direction points mostly along -a. Null when some axis does not point mostly along its own
 * patient axis (a coronal or sagittal stack): no flip makes that canonical.
 */
export function canonicalFlips(direction: VolumeGeometry['direction']): AxisFlips | null {
  const flips: boolean[] = [];
  for (let a = 0; a < 3; a++) {
    const d = [direction[3 * a]!, direction[3 * a + 1]!, direction[3 * a + 2]!];
    const major = d.reduce((m, v, w) => (Math.abs(v) > Math.abs(d[m]!) ? w : m), 0);
    if (major !== a) return null;
    flips.push(d[a]! < 0);
  }
  return flips as unknown as AxisFlips;
}

const anyFlip = (f: AxisFlips) => f[0] || f[1] || f[2];

/** The same voxels in reversed order along the flipped axes, with the geometry that keeps every
 * voxel at its place in the patient. */
export function flipGeometry(g: VolumeGeometry, flips: AxisFlips): VolumeGeometry {
  const d = [...g.direction] as VolumeGeometry['direction'];
  const o: Vec3 = [...g.originLps];
  for (let a = 0; a < 3; a++) {
    if (!flips[a]) continue;
    const reach = (g.dims[a]! - 1) * g.spacingMm[a]!;
    for (let w = 0; w < 3; w++) {
      o[w] = o[w]! + reach * d[3 * a + w]!;
      d[3 * a + w] = -d[3 * a + w]!;
    }
  }
  return { dims: [...g.dims], spacingMm: [...g.spacingMm], originLps: o, direction: d };
}

/** `data` (x fastest) with the flipped axes reversed; the same array when nothing is flipped. */
export function flipVoxels<T extends Int16Array | Uint8Array>(data: T, dims: Vec3, flips: AxisFlips): T {
  if (!anyFlip(flips)) return data;
  const [nx, ny, nz] = dims;
  const out = new (data.constructor as new (n: number) => T)(data.length);
  for (let k = 0; k < nz; k++) {
    const kk = flips[2] ? nz - 1 - k : k;
    for (let j = 0; j < ny; j++) {
      const jj = flips[1] ? ny - 1 - j : j;
      const src = (kk * ny + jj) * nx;
      const dst = (k * ny + j) * nx;
      if (!flips[0]) out.set(data.subarray(src, src + nx), dst);
      else for (let i = 0; i < nx; i++) out[dst + i] = data[src + nx - 1 - i]!;
    }
  }
  return out;
}

/** The volume in the canonical voxel order, and the flips that made it (none: the same object). */
export function toCanonical(volume: Volume): { volume: Volume; flips: AxisFlips } {
  const flips = canonicalFlips(volume.direction) ?? NONE;
  if (!anyFlip(flips)) return { volume, flips: NONE };
  return { volume: { ...flipGeometry(volume, flips), hu: flipVoxels(volume.hu, volume.dims, flips) }, flips };
}

/** A heatmap made on the canonical grid, back on the grid the series was stored on. */
export function heatmapAsStored(heatmap: Heatmap, flips: AxisFlips): Heatmap {
  if (!anyFlip(flips)) return heatmap;
  return { ...flipGeometry(heatmap, flips), data: flipVoxels(heatmap.data, heatmap.dims, flips) };
}
