/**
 * A float working grid in world space. The phantom uses an axis-aligned grid (identity
 * direction cosines), so world <-> voxel is a per-axis affine map and rasterisers can loop over
 * bounding boxes directly.
 */
import type { Vec3 } from '../../common/volume';

export interface WorldGrid {
  dims: Vec3;
  spacing: Vec3;
  origin: Vec3;
  data: Float32Array;
}

export interface Box {
  i0: number;
  i1: number;
  j0: number;
  j1: number;
  k0: number;
  k1: number;
}

/** Voxel index box (inclusive) covering the world-space axis-aligned box [lo, hi], clipped to the grid. */
export function boxFor(g: WorldGrid, lo: Vec3, hi: Vec3): Box | null {
  const r = (w: number, a: 0 | 1 | 2, f: (n: number) => number): number =>
    Math.min(g.dims[a] - 1, Math.max(0, f((w - g.origin[a]) / g.spacing[a])));
  const b = {
    i0: r(lo[0], 0, Math.floor),
    i1: r(hi[0], 0, Math.ceil),
    j0: r(lo[1], 1, Math.floor),
    j1: r(hi[1], 1, Math.ceil),
    k0: r(lo[2], 2, Math.floor),
    k1: r(hi[2], 2, Math.ceil),
  };
  if (b.i0 > b.i1 || b.j0 > b.j1 || b.k0 > b.k1) return null;
  if (hi[0] < g.origin[0] || hi[1] < g.origin[1] || hi[2] < g.origin[2]) return null;
  return b;
}

/**
 * Sub-slice sample offsets (mm) along z, so thin structures are averaged over the slice
 * thickness (partial volume) instead of appearing or vanishing with the sampling phase.
 */
function zSubsamples(g: WorldGrid): number[] {
  const n = Math.max(1, Math.round(g.spacing[2] / 0.8));
  const out: number[] = [];
  for (let s = 0; s < n; s++) out.push(((s + 0.5) / n - 0.5) * g.spacing[2]);
  return out;
}

/**
 * Blends a structure into the grid. `sd` is the signed distance (mm, negative inside) of a world
 * point; `hu` its value there. mode 'max' lets dense structures win (vessels over lung, bone over
 * vessels); 'min' carves air (airway lumen).
 */
export function rasterize(
  g: WorldGrid,
  box: Box,
  edgeMm: number,
  mode: 'max' | 'min',
  sd: (x: number, y: number, z: number) => number,
  hu: (x: number, y: number, z: number) => number,
): void {
  const [nx, ny] = g.dims;
  const subs = zSubsamples(g);
  const invEdge = 1 / edgeMm;
  const invN = 1 / subs.length;
  for (let k = box.k0; k <= box.k1; k++) {
    const zc = g.origin[2] + k * g.spacing[2];
    for (let j = box.j0; j <= box.j1; j++) {
      const y = g.origin[1] + j * g.spacing[1];
      let idx = box.i0 + j * nx + k * nx * ny;
      for (let i = box.i0; i <= box.i1; i++, idx++) {
        const x = g.origin[0] + i * g.spacing[0];
        let alpha = 0;
        for (const dz of subs) {
          const d = sd(x, y, zc + dz);
          const a = 0.5 - d * invEdge;
          alpha += a <= 0 ? 0 : a >= 1 ? 1 : a;
        }
        if (alpha <= 0) continue;
        alpha *= invN;
        const v = g.data[idx]!;
        const blended = v + alpha * (hu(x, y, zc) - v);
        g.data[idx] = mode === 'max' ? Math.max(v, blended) : Math.min(v, blended);
      }
    }
  }
}

/** Distance from p to the segment a-b and the position t in [0,1] of the closest point. */
export function segmentDistance(
  px: number,
  py: number,
  pz: number,
  a: Vec3,
  ab: Vec3,
  abLen2: number,
): { d: number; t: number } {
  const wx = px - a[0];
  const wy = py - a[1];
  const wz = pz - a[2];
  let t = abLen2 > 0 ? (wx * ab[0] + wy * ab[1] + wz * ab[2]) / abLen2 : 0;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  const dx = wx - t * ab[0];
  const dy = wy - t * ab[1];
  const dz = wz - t * ab[2];
  return { d: Math.sqrt(dx * dx + dy * dy + dz * dz), t };
}

/** Separable Gaussian blur along one axis, sigma in voxels; edges clamp. */
export function blurAxis(g: WorldGrid, axis: 0 | 1 | 2, sigmaVox: number): void {
  if (sigmaVox < 0.25) return;
  const radius = Math.ceil(3 * sigmaVox);
  const w = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let t = -radius; t <= radius; t++)
    sum += w[t + radius] = Math.exp((-0.5 * t * t) / (sigmaVox * sigmaVox));
  for (let t = 0; t < w.length; t++) w[t]! /= sum;
  const [nx, ny, nz] = g.dims;
  const n = g.dims[axis];
  const stride = axis === 0 ? 1 : axis === 1 ? nx : nx * ny;
  const line = new Float32Array(n);
  const src = g.data;
  const lines = (nx * ny * nz) / n;
  for (let l = 0; l < lines; l++) {
    let base: number;
    if (axis === 0) base = l * nx;
    else if (axis === 1) base = (l % nx) + Math.floor(l / nx) * nx * ny;
    else base = l;
    for (let p = 0; p < n; p++) line[p] = src[base + p * stride]!;
    for (let p = 0; p < n; p++) {
      let acc = 0;
      for (let t = -radius; t <= radius; t++) {
        const q = p + t < 0 ? 0 : p + t >= n ? n - 1 : p + t;
        acc += w[t + radius]! * line[q]!;
      }
      src[base + p * stride] = acc;
    }
  }
}

/** Noise-reduction factor of a 1-D Gaussian kernel: std of white noise after blurring. */
export function gaussianNoiseGain(sigmaVox: number): number {
  if (sigmaVox < 0.25) return 1;
  const radius = Math.ceil(3 * sigmaVox);
  let sum = 0;
  let sum2 = 0;
  for (let t = -radius; t <= radius; t++) {
    const v = Math.exp((-0.5 * t * t) / (sigmaVox * sigmaVox));
    sum += v;
    sum2 += v * v;
  }
  return Math.sqrt(sum2) / sum;
}
