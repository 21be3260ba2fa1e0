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
  /** The (dilated) lung mask at a volume voxel; growth never leaves it, so chest wall stays out. */
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
  const mask = new Uint8Array(bx * by * bz);
  const region: MaskRegion = { origin: lo, size, mask };
  if (mask.length === 0) return region;
  const plane = vx * vy;
  const vol = (a: number, b: number, c: number) => lo[0] + a + (lo[1] + b) * vx + (lo[2] + c) * plane;

  let peak = 0;
  for (let c = 0; c < bz; c++)
    for (let b = 0; b < by; b++) for (let a = 0; a < bx; a++) peak = Math.max(peak, opts.heat[vol(a, b, c)]!);
  const huLevel = segmentationHu(opts.type);
  const heatLevel = Math.max(1, Math.round(peak * HEAT_FRACTION));
  const inLung = opts.inLung ?? (() => true);
  const dense = (a: number, b: number, c: number) => {
    const v = vol(a, b, c);
    return volume.hu[v]! >= huLevel && opts.heat[v]! >= heatLevel && inLung(lo[0] + a, lo[1] + b, lo[2] + c);
  };
  const heatOnly = (a: number, b: number, c: number) => opts.heat[vol(a, b, c)]! >= Math.max(1, peak * 0.5);

  const seedOf = (accept: (a: number, b: number, c: number) => boolean): Vec3 | null => {
    const ca = opts.centre[0] - lo[0];
    const cb = opts.centre[1] - lo[1];
    const cc = opts.centre[2] - lo[2];
    let best: Vec3 | null = null;
    let bestD = 3 * 3;
    const r = [Math.ceil(3 / sx), Math.ceil(3 / sy), Math.ceil(3 / sz)];
    for (let c = Math.max(0, Math.floor(cc - r[2]!)); c <= Math.min(bz - 1, Math.ceil(cc + r[2]!)); c++)
      for (let b = Math.max(0, Math.floor(cb - r[1]!)); b <= Math.min(by - 1, Math.ceil(cb + r[1]!)); b++)
        for (let a = Math.max(0, Math.floor(ca - r[0]!)); a <= Math.min(bx - 1, Math.ceil(ca + r[0]!)); a++) {
          const d = ((a - ca) * sx) ** 2 + ((b - cb) * sy) ** 2 + ((c - cc) * sz) ** 2;
          if (d <= bestD && accept(a, b, c)) {
            bestD = d;
            best = [a, b, c];
          }
        }
    return best;
  };

  let accept = dense;
  let seed = seedOf(dense);
  if (!seed) {
    accept = heatOnly;
    seed = seedOf(heatOnly);
  }
  if (!seed) return region;
  const stack = [seed[0] + seed[1] * bx + seed[2] * bx * by];
  mask[stack[0]!] = 1;
  while (stack.length > 0) {
    const m = stack.pop()!;
    const a = m % bx;
    const b = Math.floor(m / bx) % by;
    const c = Math.floor(m / (bx * by));
    const visit = (aa: number, bb: number, cc: number) => {
      const k = aa + bb * bx + cc * bx * by;
      if (mask[k] === 0 && accept(aa, bb, cc)) {
        mask[k] = 1;
        stack.push(k);
      }
    };
    if (a > 0) visit(a - 1, b, c);
    if (a < bx - 1) visit(a + 1, b, c);
    if (b > 0) visit(a, b - 1, c);
    if (b < by - 1) visit(a, b + 1, c);
    if (c > 0) visit(a, b, c - 1);
    if (c < bz - 1) visit(a, b, c + 1);
  }
  return region;
}
