import type { MaskRegion } from '../findings/measurements';
import type { NoduleType } from '../findings/findings-document';
import type { Vec3, Volume } from '../volume/volume';

export interface SegmentOptions {
  /** Candidate centre in continuous volume voxels. */
  centre: Vec3;
  type: NoduleType;
  /** Heatmap on the volume grid, 0..255 = probability 0..1. */
  heat: Uint8Array;
  /** Expected diameter (mm) from the detector; sets the search box. */
  extentMm: number;
  /** Share of the local heat peak a voxel needs to join (default 0.15). */
  heatFraction?: number;
  /** The lung mask at a volume voxel; growth never leaves it, so chest wall stays out. */
  inLung?: (i: number, j: number, k: number) => boolean;
}

/**
 * Density level that separates a nodule from aerated lung (about -850 HU): half-way to a solid
 * nodule's soft tissue for solid ones, half-way to ground glass (about -650 HU) for subsolid ones,
 * so the whole lesion, halo included, is measured.
 */
const HEAT_FRACTION = 0.15;

export function segmentationHu(type: NoduleType): number {
  return type === 'solid' ? -450 : -750;
}

/**
 * Region growing from the candidate centre on the volume grid: 6-connected voxels that are both
 * dense enough (segmentationHu) and inside the detector's response (heat >= 15% of the local
 * peak), so attached vessels and pleura, which the detector does not light up, stay out. When the
 * centre has no such voxel within 3 mm, the detector response alone (>= 50% of peak) is used.
 */
export function segmentCandidate(volume: Volume, opts: SegmentOptions): MaskRegion {
  const [vx, vy, vz] = volume.dims;
  const [sx, sy, sz] = volume.spacingMm;
  // Room for the nodule and a margin; the region may not be larger than the box.
  const halfMm = Math.min(Math.max(opts.extentMm * 1.5, 15), 35);
  const lo: Vec3 = [0, 0, 0];
  const size: Vec3 = [0, 0, 0];
  const sp = [sx, sy, sz];
  const n = [vx, vy, vz];
  for (let a = 0; a < 3; a++) {
    const r = Math.ceil(halfMm / sp[a]!);
    const c = Math.round(opts.centre[a]!);
    const l = Math.max(0, c - r);
    const h = Math.min(n[a]! - 1, c + r);
    lo[a] = l;
    size[a] = Math.max(0, h - l + 1);
  }
  const [bx, by, bz] = size;
  const bplane = bx * by;
  const mask = new Uint8Array(bx * by * bz);
  const region: MaskRegion = { origin: lo, size, mask };
  if (mask.length === 0) return region;
  const plane = vx * vy;
  const heat = opts.heat;
  const hu = volume.hu;

  let peak = 0;
  for (let c = 0; c < bz; c++)
    for (let b = 0; b < by; b++) {
      const row = lo[0] + (lo[1] + b) * vx + (lo[2] + c) * plane;
      for (let a = 0; a < bx; a++) if (heat[row + a]! > peak) peak = heat[row + a]!;
    }
  // Which voxels may join: `dense` (HU, heat and lung) or, failing a dense seed, heat alone.
  const huLevel = segmentationHu(opts.type);
  const heatLevel = Math.max(1, Math.round(peak * (opts.heatFraction ?? HEAT_FRACTION)));
  const heatOnlyLevel = Math.max(1, peak * 0.5);
  const dense = new Uint8Array(mask.length);
  const heatOnly = new Uint8Array(mask.length);
  for (let c = 0; c < bz; c++)
    for (let b = 0; b < by; b++) {
      const row = lo[0] + (lo[1] + b) * vx + (lo[2] + c) * plane;
      for (let a = 0; a < bx; a++) {
        const h = heat[row + a]!;
        const m = a + b * bx + c * bplane;
        if (h >= heatOnlyLevel) heatOnly[m] = 1;
        if (h >= heatLevel && hu[row + a]! >= huLevel) dense[m] = 1;
      }
    }
  if (opts.inLung) {
    for (let c = 0; c < bz; c++)
      for (let b = 0; b < by; b++)
        for (let a = 0; a < bx; a++) {
          const m = a + b * bx + c * bplane;
          if (dense[m] === 1 && !opts.inLung(lo[0] + a, lo[1] + b, lo[2] + c)) dense[m] = 0;
        }
  }

  const seedOf = (ok: Uint8Array): number => {
    const ca = opts.centre[0] - lo[0];
    const cb = opts.centre[1] - lo[1];
    const cc = opts.centre[2] - lo[2];
    let best = -1;
    let bestD = 3 * 3;
    const r = [Math.ceil(3 / sx), Math.ceil(3 / sy), Math.ceil(3 / sz)];
    for (let c = Math.max(0, Math.floor(cc - r[2]!)); c <= Math.min(bz - 1, Math.ceil(cc + r[2]!)); c++)
      for (let b = Math.max(0, Math.floor(cb - r[1]!)); b <= Math.min(by - 1, Math.ceil(cb + r[1]!)); b++)
        for (let a = Math.max(0, Math.floor(ca - r[0]!)); a <= Math.min(bx - 1, Math.ceil(ca + r[0]!)); a++) {
          const d = ((a - ca) * sx) ** 2 + ((b - cb) * sy) ** 2 + ((c - cc) * sz) ** 2;
          if (d <= bestD && ok[a + b * bx + c * bplane] === 1) {
            bestD = d;
            best = a + b * bx + c * bplane;
          }
        }
    return best;
  };

  let ok = dense;
  let seed = seedOf(dense);
  if (seed < 0) {
    ok = heatOnly;
    seed = seedOf(heatOnly);
  }
  if (seed < 0) return region;
  const stack = new Int32Array(mask.length);
  let top = 0;
  stack[top++] = seed;
  mask[seed] = 1;
  while (top > 0) {
    const m = stack[--top]!;
    const c = (m / bplane) | 0;
    const r = m - c * bplane;
    const b = (r / bx) | 0;
    const a = r - b * bx;
    if (a > 0 && ok[m - 1] === 1 && mask[m - 1] === 0) {
      mask[m - 1] = 1;
      stack[top++] = m - 1;
    }
    if (a < bx - 1 && ok[m + 1] === 1 && mask[m + 1] === 0) {
      mask[m + 1] = 1;
      stack[top++] = m + 1;
    }
    if (b > 0 && ok[m - bx] === 1 && mask[m - bx] === 0) {
      mask[m - bx] = 1;
      stack[top++] = m - bx;
    }
    if (b < by - 1 && ok[m + bx] === 1 && mask[m + bx] === 0) {
      mask[m + bx] = 1;
      stack[top++] = m + bx;
    }
    if (c > 0 && ok[m - bplane] === 1 && mask[m - bplane] === 0) {
      mask[m - bplane] = 1;
      stack[top++] = m - bplane;
    }
    if (c < bz - 1 && ok[m + bplane] === 1 && mask[m + bplane] === 0) {
      mask[m + bplane] = 1;
      stack[top++] = m + bplane;
    }
  }
  return region;
}
