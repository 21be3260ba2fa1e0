import type { MaskRegion } from '../findings/measurements';
import type { NoduleType } from '../../common/findings/findings-document';
import type { Vec3, Volume } from '../../common/volume';

export interface SegmentOptions {
  /** Candidate centre in continuous volume voxels. */
  centre: Vec3;
  type: NoduleType;
  /** Expected diameter (mm) from stage 1 (blob scale or U-Net extent); sets the box and the opening. */
  extentMm: number;
  /** The lung mask at a volume voxel; growth never leaves it, so chest wall stays out. */
  inLung?: (i: number, j: number, k: number) => boolean;
}

/**
 * Density level that separates a nodule from aerated lung (about -850 HU): for a solid nodule
 * half-way to soft tissue; for a part-solid one low enough to hold its ground-glass rim (about
 * -600 HU) and high enough to leave the parenchyma around it; for ground glass just above the
 * parenchyma.
 */
export function segmentationHu(type: NoduleType): number {
  return type === 'solid' ? -500 : type === 'part-solid' ? -600 : -750;
}

/** Opening radius: 12% of the expected diameter, 0.8 to 2.5 mm (vessel bridges are 1-3 mm wide). */
export function openingRadiusMm(extentMm: number): number {
  return Math.min(2.5, Math.max(0.8, 0.12 * extentMm));
}

/**
 * The nodule around a candidate centre, without the vessels and pleura it touches:
 * 1. voxels at or above segmentationHu(type) inside the lung;
 * 2. a morphological opening with a ball of openingRadiusMm cuts the bridges to vessels and the
 *    pleura, which are thinner than the nodule; the opened component at the centre is the core;
 * 3. the core grows back by 0.6 x that radius into the dense voxels, so the nodule's own margin
 *    (lobulations, short spicules) returns but no vessel beyond it.
 * When the opening leaves nothing at the centre (a nodule not much wider than the ball), the
 * radius halves, and at last the plain dense component is used.
 * Validated on LIDC-IDRI-0001 against the four readers' contours
 * (tests/integration/segmentation-lidc.test.ts).
 */
export function segmentCandidate(volume: Volume, opts: SegmentOptions): MaskRegion {
  const [vx, vy, vz] = volume.dims;
  const sp = volume.spacingMm;
  // Room for the nodule and a margin; the region may not be larger than the box.
  const halfMm = Math.min(Math.max(opts.extentMm * 1.5, 15), 40);
  const lo: Vec3 = [0, 0, 0];
  const size: Vec3 = [0, 0, 0];
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
  const empty: MaskRegion = { origin: lo, size, mask: new Uint8Array(bx * by * bz) };
  if (empty.mask.length === 0) return empty;
  const plane = vx * vy;
  const bplane = bx * by;
  const level = segmentationHu(opts.type);
  const dense = new Uint8Array(bx * by * bz);
  for (let c = 0; c < bz; c++)
    for (let b = 0; b < by; b++) {
      const row = lo[0] + (lo[1] + b) * vx + (lo[2] + c) * plane;
      for (let a = 0; a < bx; a++) {
        if (volume.hu[row + a]! < level) continue;
        if (opts.inLung && !opts.inLung(lo[0] + a, lo[1] + b, lo[2] + c)) continue;
        dense[a + b * bx + c * bplane] = 1;
      }
    }
  const box = { size, spacing: sp };
  const centre: Vec3 = [opts.centre[0] - lo[0], opts.centre[1] - lo[1], opts.centre[2] - lo[2]];
  for (let r = openingRadiusMm(opts.extentMm); r >= 0.6; r /= 2) {
    const opened = dilate(erode(dense, box, r), box, r);
    const core = componentAt(opened, size, seedNear(opened, box, centre, Math.max(3, r * 2)));
    if (!core) continue;
    const grown = dilate(core, box, 0.6 * r);
    for (let v = 0; v < grown.length; v++) grown[v] = grown[v]! & dense[v]!;
    const mask = componentAt(grown, size, seedNear(core, box, centre, Math.max(3, r * 2)));
    if (mask) return { origin: lo, size, mask };
  }
  const plain = componentAt(dense, size, seedNear(dense, box, centre, 3));
  return plain ? { origin: lo, size, mask: plain } : empty;
}

interface Box {
  size: Vec3;
  spacing: Vec3;
}

/** Voxel offsets [da, db, dc] of a ball of radius r mm on an anisotropic grid. */
function ball(spacing: Vec3, r: number): Int32Array {
  const out: number[] = [];
  const [sx, sy, sz] = spacing;
  const ra = Math.floor(r / sx);
  const rb = Math.floor(r / sy);
  const rc = Math.floor(r / sz);
  for (let c = -rc; c <= rc; c++)
    for (let b = -rb; b <= rb; b++)
      for (let a = -ra; a <= ra; a++)
        if ((a * sx) ** 2 + (b * sy) ** 2 + (c * sz) ** 2 <= r * r) out.push(a, b, c);
  return Int32Array.from(out);
}

/** Erosion by a ball; outside the box counts as background. */
function erode(m: Uint8Array, box: Box, r: number): Uint8Array {
  return morph(m, box, r, true);
}

function dilate(m: Uint8Array, box: Box, r: number): Uint8Array {
  return morph(m, box, r, false);
}

function morph(m: Uint8Array, { size, spacing }: Box, r: number, erosion: boolean): Uint8Array {
  const [bx, by, bz] = size;
  const offs = ball(spacing, r);
  const out = new Uint8Array(m.length);
  const bplane = bx * by;
  for (let c = 0; c < bz; c++)
    for (let b = 0; b < by; b++)
      for (let a = 0; a < bx; a++) {
        const v = a + b * bx + c * bplane;
        // Erosion only matters on the mask, dilation only off it.
        if (erosion ? m[v] === 0 : m[v] === 1) {
          out[v] = m[v]!;
          continue;
        }
        let hit = false;
        for (let o = 0; o < offs.length; o += 3) {
          const aa = a + offs[o]!;
          const bb = b + offs[o + 1]!;
          const cc = c + offs[o + 2]!;
          const inside = aa >= 0 && bb >= 0 && cc >= 0 && aa < bx && bb < by && cc < bz;
          const x = inside ? m[aa + bb * bx + cc * bplane]! : 0;
          if (erosion ? x === 0 : x === 1) {
            hit = true;
            break;
          }
        }
        out[v] = erosion ? (hit ? 0 : 1) : hit ? 1 : 0;
      }
  return out;
}

/** The mask voxel nearest the centre within maxMm, or -1. */
function seedNear(m: Uint8Array, { size, spacing }: Box, centre: Vec3, maxMm: number): number {
  const [bx, by, bz] = size;
  const [sx, sy, sz] = spacing;
  let best = -1;
  let bestD = maxMm * maxMm;
  const r = [Math.ceil(maxMm / sx), Math.ceil(maxMm / sy), Math.ceil(maxMm / sz)];
  for (
    let c = Math.max(0, Math.floor(centre[2] - r[2]!));
    c <= Math.min(bz - 1, Math.ceil(centre[2] + r[2]!));
    c++
  )
    for (
      let b = Math.max(0, Math.floor(centre[1] - r[1]!));
      b <= Math.min(by - 1, Math.ceil(centre[1] + r[1]!));
      b++
    )
      for (
        let a = Math.max(0, Math.floor(centre[0] - r[0]!));
        a <= Math.min(bx - 1, Math.ceil(centre[0] + r[0]!));
        a++
      ) {
        const v = a + b * bx + c * bx * by;
        if (m[v] !== 1) continue;
        const d = ((a - centre[0]) * sx) ** 2 + ((b - centre[1]) * sy) ** 2 + ((c - centre[2]) * sz) ** 2;
        if (d <= bestD) {
          bestD = d;
          best = v;
        }
      }
  return best;
}

/** The 6-connected component of m holding `seed`, or null when there is no seed. */
function componentAt(m: Uint8Array, size: Vec3, seed: number): Uint8Array | null {
  if (seed < 0 || m[seed] !== 1) return null;
  const [bx, by, bz] = size;
  const bplane = bx * by;
  const out = new Uint8Array(m.length);
  const stack = new Int32Array(m.length);
  let top = 0;
  stack[top++] = seed;
  out[seed] = 1;
  while (top > 0) {
    const v = stack[--top]!;
    const c = (v / bplane) | 0;
    const rest = v - c * bplane;
    const b = (rest / bx) | 0;
    const a = rest - b * bx;
    const visit = (w: number) => {
      if (m[w] === 1 && out[w] === 0) {
        out[w] = 1;
        stack[top++] = w;
      }
    };
    if (a > 0) visit(v - 1);
    if (a < bx - 1) visit(v + 1);
    if (b > 0) visit(v - bx);
    if (b < by - 1) visit(v + bx);
    if (c > 0) visit(v - bplane);
    if (c < bz - 1) visit(v + bplane);
  }
  return out;
}
