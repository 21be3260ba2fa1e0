/**
 * Where a ground-glass nodule ends. Its haze is faint and bubbly: LIDC-IDRI-0002's 28 x 21 mm
 * nodule (two readers' contours) has a mean of about -670 HU in -870 HU parenchyma, and a third
 * of its voxels lie below a fixed -750 HU level, so that mask was porous, its inscribed radius
 * small, and the outline stopped at 16.6 x 15.6 mm. Two changes, both measured on that nodule and
 * on the inserted ground-glass nodules of training/size_check.ts:
 * - the voxels are smoothed first (Gaussian, sigma 1 mm), so the texture's pores close while an
 *   edge stays where it is;
 * - the level is half-way between the nodule's own density and its parenchyma's, the edge of a
 *   blurred object (a fixed level sits outside the edge of a dense nodule and inside a faint one).
 * Where the haze fades out beyond that edge (that nodule's does, over 2-4 mm), a lower 'halo' level
 * outlines it where it ends (segment.ts haloBeyond chooses).
 */
import type { Vec3, Volume } from '../../common/volume';

/** Smoothing of the voxels a ground-glass nodule is outlined on (mm, Gaussian sigma). */
export const GROUND_GLASS_SMOOTHING_MM = 1;
/** The level stays within these (HU): never into aerated lung, never above part-solid's -600. */
export const GROUND_GLASS_LEVEL_RANGE = [-800, -600] as const;
/** The fixed level used when the nodule or its parenchyma cannot be sampled. */
export const GROUND_GLASS_FALLBACK_HU = -750;

/**
 * HU of the box [lo, lo + size) smoothed by a separable Gaussian of sigmaMm (per axis in voxels
 * from the spacing; weights renormalised at the box edge), as [x + y*sx + z*sx*sy].
 */
export function smoothedBox(volume: Volume, lo: Vec3, size: Vec3, sigmaMm: number): Float32Array {
  const [vx, vy] = volume.dims;
  const [sx, sy, sz] = size;
  let cur = new Float32Array(sx * sy * sz);
  for (let z = 0; z < sz; z++)
    for (let y = 0; y < sy; y++) {
      const from = lo[0] + (lo[1] + y) * vx + (lo[2] + z) * vx * vy;
      cur.set(volume.hu.subarray(from, from + sx), (y + z * sy) * sx);
    }
  const stride = [1, sx, sx * sy] as const;
  for (let axis = 0; axis < 3; axis++) {
    const s = sigmaMm / volume.spacingMm[axis]!;
    const r = Math.max(1, Math.ceil(2.5 * s));
    const w = Array.from({ length: 2 * r + 1 }, (_, t) => Math.exp(-((t - r) ** 2) / (2 * s * s)));
    const n = size[axis]!;
    const st = stride[axis]!;
    const out = new Float32Array(cur.length);
    for (let z = 0; z < sz; z++)
      for (let y = 0; y < sy; y++)
        for (let x = 0; x < sx; x++) {
          const v = x + y * sx + z * sx * sy;
          const at = axis === 0 ? x : axis === 1 ? y : z;
          let acc = 0;
          let ws = 0;
          for (let t = Math.max(-r, -at); t <= Math.min(r, n - 1 - at); t++) {
            acc += w[t + r]! * cur[v + t * st]!;
            ws += w[t + r]!;
          }
          out[v] = acc / ws;
        }
    cur = out;
  }
  return cur;
}

/** The q-quantile of values (sorted in place): the value at floor(q x count), the lower of two middles. */
export function quantile(values: number[], q: number): number {
  values.sort((a, b) => a - b);
  return values[Math.floor(values.length * q)]!;
}

/** Bin width (HU) of the aerated-lung histogram whose peak is the parenchyma. */
const PARENCHYMA_BIN_HU = 10;

/**
 * Where a ground-glass outline is drawn between the nodule's density and its parenchyma's:
 * - 'half': half-way, the edge of a uniformly dense nodule blurred by the scanner (inserted nodules
 *   of known size, training/size_check.ts), within GROUND_GLASS_LEVEL_RANGE;
 * - 'halo': where haze that fades out beyond that edge ends, as readers outline real ground glass
 *   (segment.ts haloBeyond): a fifth of the way up from the parenchyma, and at least
 *   HALO_ABOVE_PARENCHYMA_HU over it, so the level stays clear of the parenchyma's own noise.
 */
export type GroundGlassEdge = 'half' | 'halo';

/** The 'halo' level's share of the way from the parenchyma to the nodule's density. */
const HALO_FRACTION = 0.2;
/**
 * The 'halo' level stands at least this far (HU) over the parenchyma's peak on the smoothed
 * voxels. Without it, faint inserted ground glass (-750..-700 HU) was outlined 20-30 HU over the
 * parenchyma, and its outline ran into the noise and the pleura (a 5.4 mm nodule grew to 18.9 mm).
 */
const HALO_ABOVE_PARENCHYMA_HU = 50;

/**
 * The outlining level for a ground-glass nodule around `centre` (box voxels) from the smoothed
 * box, between the median within min(4, max(2, extent/4)) mm of the centre (the nodule) and the
 * peak of the histogram of the box's other aerated lung voxels (below -600 HU: the parenchyma; a
 * hazy nodule spreads over many bins and moves the peak little even where it fills much of the
 * box, as stage 1's extent, which sets the box, may be far below its size), where `edge` says.
 */
export function groundGlassLevel(
  smoothed: Float32Array,
  box: { size: Vec3; spacing: Vec3 },
  centre: Vec3,
  extentMm: number,
  inLung: (a: number, b: number, c: number) => boolean,
  edge: GroundGlassEdge = 'half',
): number {
  const [sx, sy, sz] = box.size;
  const sp = box.spacing;
  const coreMm = Math.min(4, Math.max(2, extentMm / 4));
  const core: number[] = [];
  const inCore = new Uint8Array(smoothed.length);
  for (let c = 0; c < sz; c++)
    for (let b = 0; b < sy; b++)
      for (let a = 0; a < sx; a++) {
        const d = Math.hypot((a - centre[0]) * sp[0], (b - centre[1]) * sp[1], (c - centre[2]) * sp[2]);
        if (d > coreMm) continue;
        const v = a + b * sx + c * sx * sy;
        inCore[v] = 1;
        core.push(smoothed[v]!);
      }
  const parenchyma = parenchymaHu(
    smoothed,
    (v) => inCore[v] === 0 && inLung(v % sx, ((v / sx) | 0) % sy, (v / (sx * sy)) | 0),
  );
  if (core.length === 0 || parenchyma === null) return GROUND_GLASS_FALLBACK_HU;
  const nodule = quantile(core, 0.5);
  const [lo, hi] = GROUND_GLASS_LEVEL_RANGE;
  if (edge === 'half') return Math.min(hi, Math.max(lo, (nodule + parenchyma) / 2));
  const halo = parenchyma + HALO_FRACTION * (nodule - parenchyma);
  return Math.min(hi, Math.max(halo, parenchyma + HALO_ABOVE_PARENCHYMA_HU));
}

/**
 * The parenchyma's density (HU) in a smoothed box: the peak of the histogram of its aerated voxels
 * (-1000 to -600 HU) that `admit` lets in (box voxel index); null when there are none.
 */
export function parenchymaHu(smoothed: Float32Array, admit: (v: number) => boolean): number | null {
  const bins = new Uint32Array(Math.ceil(400 / PARENCHYMA_BIN_HU));
  let aerated = 0;
  for (let v = 0; v < smoothed.length; v++) {
    const h = smoothed[v]!;
    if (h < -1000 || h >= -600 || !admit(v)) continue;
    bins[Math.floor((h + 1000) / PARENCHYMA_BIN_HU)]! += 1;
    aerated += 1;
  }
  if (aerated === 0) return null;
  let peak = 0;
  for (let i = 1; i < bins.length; i++) if (bins[i]! > bins[peak]!) peak = i;
  return -1000 + (peak + 0.5) * PARENCHYMA_BIN_HU;
}
