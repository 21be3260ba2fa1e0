import type { Vec3, Volume } from '../../common/volume';
import { resampleSlab } from './grid';
import { maskBounds } from './morphology';

/**
 * Stage 1a of the detector: a training-free multi-scale 3D blob detector. Scale-normalised
 * difference of Gaussians (-sigma^2 * Laplacian of Gaussian) on the lung, one octave per grid
 * (1, 2, 4 mm) so the large scales are as cheap as the small ones; spatial maxima of every level
 * are merged within the stronger blob's extent. Outside the lung mask the HU are replaced by lung
 * parenchyma, so the chest wall and mediastinum give no responses and a juxtapleural nodule that
 * the mask's closing kept is an isolated blob. Hessian eigenvalues at each peak give a shape
 * measure (1 = sphere, 0 = tube or plate) used only to rank, never to drop.
 */

export interface BlobCandidate {
  /** Peak position in continuous volume voxels. */
  centre: Vec3;
  /** Diameter of the sphere the response is tuned to (2 * sqrt(3) * sigma), mm. */
  scaleMm: number;
  /** Scale-normalised response -sigma^2 * LoG at the peak, HU. */
  response: number;
  /** |lambda_min| / |lambda_max| of the Hessian at the peak when all three are negative, else 0. */
  sphericity: number;
  /** Gaussian-smoothed HU at the peak (at the peak's scale). */
  smoothedHu: number;
}

/** A lung mask on its own regular grid over the volume (grid voxel g = volume voxel g * step). */
export interface GridMask {
  mask: Uint8Array;
  dims: Vec3;
  step: Vec3;
}

export interface BlobOptions {
  /** Smallest and largest nodule diameter to tune to, mm (default 3 and 30). */
  minDiameterMm?: number;
  maxDiameterMm?: number;
  /** Lowest scale-normalised response that makes a candidate, HU (default 25). */
  minResponse?: number;
  /** Lowest smoothed HU at a peak: aerated lung is not a nodule (default -800). */
  minHu?: number;
  /** What the HU outside the lung mask become (default -900, aerated lung). */
  fillHu?: number;
  checkCancelled?: () => void;
}

const K = Math.SQRT2;
/** Sphere diameter that a scale-normalised LoG of this sigma answers most strongly (d = 2 sqrt 3 sigma). */
const DIAMETER_PER_SIGMA = 2 * Math.sqrt(3);
/** First Gaussian of an octave, grid voxels: its first DoG level answers 4 mm spheres on the 1 mm grid. */
const SIGMA0 = 4 / DIAMETER_PER_SIGMA / Math.sqrt(K);
/** [grid spacing mm, most levels]: 4, 5.7, 8 mm on the 1 mm grid; 11.3 ... 32 mm on the 2 mm grid. */
const OCTAVES: Array<[number, number]> = [
  [1, 3],
  [2, 5],
];

/** Diameter level l of an octave on a `spacing` mm grid answers: DoG between sigma_l and K sigma_l. */
function diameterAt(spacing: number, l: number): number {
  return SIGMA0 * K ** (l + 0.5) * spacing * DIAMETER_PER_SIGMA;
}

export function detectBlobs(volume: Volume, lung: GridMask, opts: BlobOptions = {}): BlobCandidate[] {
  const plan = planBlobs(volume, lung, opts);
  if (!plan) return [];
  const found: BlobCandidate[] = [];
  for (const o of plan.octaves) {
    const perLevel = blobSlab(volume, lung, o, plan.limits, 0, o.dims[2], opts.checkCancelled);
    for (const level of perLevel) for (const b of level) found.push(b);
  }
  return mergeBlobs(found, volume.spacingMm);
}

/**
 * The pyramid over one scan: which octaves and levels, on which grid box, and the thresholds. Pure
 * geometry (cheap), so a caller can split the octaves into z slabs (blobSlab) and run them anywhere.
 */
export interface BlobPlan {
  octaves: OctavePlan[];
  limits: BlobLimits;
}

/** One octave: a `spacing` mm grid over the lung box (grid voxel g = volume voxel (first + g) * step). */
export interface OctavePlan {
  spacing: number;
  /** DoG levels that become candidates (index l: between sigma_l and K sigma_l). */
  levels: number[];
  first: Vec3;
  dims: Vec3;
  step: Vec3;
  /**
   * Planes past a slab's edge that reach its maxima: the blur chain's radii plus the maxima's own
   * neighbours. A slab this far from a cut gives the very values of the whole octave.
   */
  halo: number;
  /** Blur passes one slab runs (for progress). */
  blurs: number;
  /**
   * Work per grid voxel in blur multiply-adds: the passes' folded kernel taps on three axes, plus
   * what resampling, the differences and the maxima cost (about 15 taps, measured on LIDC-IDRI-0002).
   */
  workPerVoxel: number;
}

export interface BlobLimits {
  minResponse: number;
  minHu: number;
  fill: number;
}

/** Null when the lung mask is empty (no candidates). */
export function planBlobs(
  volume: Pick<Volume, 'dims' | 'spacingMm'>,
  lung: GridMask,
  opts: BlobOptions = {},
): BlobPlan | null {
  const minD = opts.minDiameterMm ?? 3;
  const maxD = opts.maxDiameterMm ?? 30;
  const limits: BlobLimits = {
    minResponse: opts.minResponse ?? 25,
    minHu: opts.minHu ?? -800,
    fill: opts.fillHu ?? -900,
  };
  const box = maskBox(lung, volume.dims);
  if (!box) return null;
  const octaves: OctavePlan[] = [];
  // Scales 1 mm apart would be wasted on large blobs: the 1 mm grid takes the small levels, the
  // 2 mm grid the rest (sigma >= 1.4 of its voxels, so it is still well sampled).
  let covered = 0;
  for (const [spacing, maxLevels] of OCTAVES) {
    const levels: number[] = [];
    for (let l = 0; l < maxLevels; l++) {
      const d = diameterAt(spacing, l);
      if (d > covered * 1.01 && d >= minD / 1.1 && d <= maxD * 1.1) levels.push(l);
    }
    if (levels.length === 0) continue;
    covered = diameterAt(spacing, Math.max(...levels));
    octaves.push(octavePlan(volume, box, spacing, levels));
  }
  return { octaves, limits };
}

/**
 * Keeps the strongest of blobs that describe one object: a weaker maximum whose centre lies within
 * the stronger one's radius (at least 2 mm) is merged into it. Strongest first.
 */
export function mergeBlobs(all: BlobCandidate[], spacingMm: Vec3 = [1, 1, 1]): BlobCandidate[] {
  const sorted = [...all].sort((a, b) => b.response - a.response);
  const kept: BlobCandidate[] = [];
  // Spatial hash on 16 mm cells: a blob's radius is at most 15 mm + margin. Centres are in the
  // volume (>= 0), so a cell index and its neighbours fit a number key (thousands of blobs).
  const cell = 16;
  const span = 1 << 12;
  const cells = new Map<number, Array<{ p: Vec3; reach: number }>>();
  for (const b of sorted) {
    const p: Vec3 = [b.centre[0] * spacingMm[0], b.centre[1] * spacingMm[1], b.centre[2] * spacingMm[2]];
    const cx = Math.floor(p[0] / cell) + 1;
    const cy = Math.floor(p[1] / cell) + 1;
    const cz = Math.floor(p[2] / cell) + 1;
    let merged = false;
    for (let dz = -1; dz <= 1 && !merged; dz++)
      for (let dy = -1; dy <= 1 && !merged; dy++)
        for (let dx = -1; dx <= 1 && !merged; dx++) {
          for (const k of cells.get(cx + dx + (cy + dy) * span + (cz + dz) * span * span) ?? []) {
            const d = Math.hypot(p[0] - k.p[0], p[1] - k.p[1], p[2] - k.p[2]);
            if (d < k.reach) {
              merged = true;
              break;
            }
          }
        }
    if (merged) continue;
    kept.push(b);
    const key = cx + cy * span + cz * span * span;
    const entry = { p, reach: Math.max(b.scaleMm / 2, 2) };
    const list = cells.get(key);
    if (list) list.push(entry);
    else cells.set(key, [entry]);
  }
  return kept;
}

interface Box {
  lo: Vec3;
  hi: Vec3;
}

/** Bounding box of the mask in volume voxels (inclusive), or null when empty. */
function maskBox(lung: GridMask, volumeDims: Vec3): Box | null {
  const grid = maskBounds(lung.mask, lung.dims);
  if (!grid) return null;
  // Grid voxels cover +-half a grid step around their centre.
  const out: Box = { lo: [0, 0, 0], hi: [0, 0, 0] };
  for (let a = 0; a < 3; a++) {
    out.lo[a] = Math.max(0, (grid.lo[a]! - 0.5) * lung.step[a]!);
    out.hi[a] = Math.min(volumeDims[a]! - 1, (grid.hi[a]! - 1 + 0.5) * lung.step[a]!);
  }
  return out;
}

/** The grid box of one octave: the lung box plus a margin of a few sigma of its largest level. */
function octavePlan(
  volume: Pick<Volume, 'dims' | 'spacingMm'>,
  box: Box,
  spacing: number,
  levels: number[],
): OctavePlan {
  const step: Vec3 = [
    spacing / volume.spacingMm[0],
    spacing / volume.spacingMm[1],
    spacing / volume.spacingMm[2],
  ];
  // Margin of a few sigma of the largest level so the box edge does not bias the blur.
  const marginVox = Math.ceil(3 * SIGMA0 * K ** (Math.max(...levels) + 1));
  const first: Vec3 = [0, 0, 0];
  const dims: Vec3 = [0, 0, 0];
  for (let a = 0; a < 3; a++) {
    const g0 = Math.max(0, Math.floor(box.lo[a]! / step[a]!) - marginVox);
    const gMax = Math.floor((volume.dims[a]! - 1) / step[a]! + 1e-6);
    const g1 = Math.min(gMax, Math.ceil(box.hi[a]! / step[a]!) + marginVox);
    first[a] = g0;
    dims[a] = Math.max(1, g1 - g0 + 1);
  }
  const sigmas = blurSigmas(Math.max(...levels) + 1);
  const halo = sigmas.reduce((sum, s) => sum + blurRadius(s), 0) + 1;
  const taps = sigmas.reduce((sum, s) => sum + 3 * (blurRadius(s) + 1), 0);
  return { spacing, levels, first, dims, step, halo, blurs: sigmas.length, workPerVoxel: taps + 15 };
}

/** The blur chain of an octave with `top` DoG levels: sigma0, then the increments to each next level. */
function blurSigmas(top: number): number[] {
  const out = [SIGMA0];
  let sigma = SIGMA0;
  for (let l = 0; l < top; l++) {
    const next = sigma * K;
    out.push(Math.sqrt(next * next - sigma * sigma));
    sigma = next;
  }
  return out;
}

/**
 * The blobs of one octave whose peaks lie on grid planes [z0, z1), one list per level (in
 * `o.levels` order, each in scan order). Only those planes and `o.halo` planes either side are
 * resampled and blurred, so slabs that together cover the octave give exactly the blobs of the
 * whole octave, in the same order once their lists are joined level by level. `onBlur` is called
 * after each blur pass.
 */
export function blobSlab(
  volume: Pick<Volume, 'hu' | 'dims'>,
  lung: GridMask,
  o: OctavePlan,
  lim: BlobLimits,
  z0: number,
  z1: number,
  check?: () => void,
  onBlur?: () => void,
): BlobCandidate[][] {
  const { first, step, levels } = o;
  const s0 = Math.max(0, z0 - o.halo);
  const s1 = Math.min(o.dims[2], z1 + o.halo);
  const dims: Vec3 = [o.dims[0], o.dims[1], s1 - s0];
  const [nx, ny, nz] = dims;
  const plane = nx * ny;
  // Lung mask looked up per grid voxel (nearest).
  const lx = Int32Array.from({ length: nx }, (_, i) =>
    Math.min(lung.dims[0] - 1, Math.round(((first[0] + i) * step[0]) / lung.step[0])),
  );
  const ly = Int32Array.from({ length: ny }, (_, i) =>
    Math.min(lung.dims[1] - 1, Math.round(((first[1] + i) * step[1]) / lung.step[1])),
  );
  const lz = Int32Array.from({ length: nz }, (_, i) =>
    Math.min(lung.dims[2] - 1, Math.round(((first[2] + s0 + i) * step[2]) / lung.step[2])),
  );
  const inLung = new Uint8Array(nx * ny * nz);
  const lplane = lung.dims[0] * lung.dims[1];
  let v = 0;
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++) {
      const row = lz[z]! * lplane + ly[y]! * lung.dims[0];
      for (let x = 0; x < nx; x++, v++) inLung[v] = lung.mask[row + lx[x]!]!;
    }
  const g = resampleSlab(
    volume.hu,
    volume.dims,
    { dims, step },
    first[2] + s0,
    first[2] + s1,
    new Float32Array(nx * ny * nz),
    undefined,
    [first[0], first[1]],
  );
  for (let i = 0; i < g.length; i++) if (inLung[i] === 0) g[i] = lim.fill;
  // Outside each row's lung voxels the grid holds exactly the fill.
  const extent: RowExtent = {
    lo: new Int32Array(ny * nz).fill(nx),
    hi: new Int32Array(ny * nz).fill(-1),
    outside: lim.fill,
  };
  for (let r = 0; r < ny * nz; r++) {
    const base = r * nx;
    for (let x = 0; x < nx; x++)
      if (inLung[base + x] !== 0) {
        extent.lo[r] = Math.min(extent.lo[r]!, x);
        extent.hi[r] = x;
      }
  }
  check?.();

  // Peaks on the octave's own first and last planes are never taken (no neighbour beyond).
  const zLo = Math.max(z0, 1) - s0;
  const zHi = Math.min(z1, o.dims[2] - 1) - s0;
  const out: BlobCandidate[][] = levels.map(() => []);
  const sigmas = blurSigmas(Math.max(...levels) + 1);
  gaussianBlur(g, dims, sigmas[0]!, check, extent);
  onBlur?.();
  // Two buffers in turn: the smoothed level and the next one (the response overwrites the first).
  let prev: Float32Array = g;
  let cur: Float32Array = new Float32Array(g.length);
  for (let l = 0; l + 1 < sigmas.length; l++) {
    cur.set(prev);
    // The next level's extent grows from this one's (which the response no longer needs).
    gaussianBlur(cur, dims, sigmas[l + 1]!, check, extent);
    onBlur?.();
    check?.();
    const li = levels.indexOf(l);
    if (li >= 0) {
      // prev becomes the response: (G_sigma - G_{k sigma}) / (k - 1) = -sigma^2 LoG (approximately)
      const inv = 1 / (K - 1);
      for (let i = 0; i < prev.length; i++) prev[i] = (prev[i]! - cur[i]!) * inv;
      const scaleMm = diameterAt(o.spacing, l);
      const found = out[li]!;
      for (let z = zLo; z < zHi; z++)
        for (let y = 1; y < ny - 1; y++)
          for (let x = 1; x < nx - 1; x++) {
            const c = x + y * nx + z * plane;
            const r = prev[c]!;
            if (r < lim.minResponse || inLung[c] === 0) continue;
            if (!isMax26(prev, c, nx, plane)) continue;
            const hu = cur[c]!;
            if (hu < lim.minHu) continue;
            found.push({
              centre: [(first[0] + x) * step[0], (first[1] + y) * step[1], (first[2] + s0 + z) * step[2]],
              scaleMm,
              response: r,
              sphericity: sphericityAt(cur, c, nx, plane),
              smoothedHu: hu,
            });
          }
    }
    const spare = prev;
    prev = cur;
    cur = spare;
  }
  return out;
}

function isMax26(r: Float32Array, c: number, nx: number, plane: number): boolean {
  const v = r[c]!;
  for (let dz = -plane; dz <= plane; dz += plane)
    for (let dy = -nx; dy <= nx; dy += nx)
      for (let dx = -1; dx <= 1; dx++) {
        const n = c + dz + dy + dx;
        if (n === c) continue;
        const q = r[n]!;
        // Ties go to the lower index so a plateau yields one maximum.
        if (q > v || (q === v && n < c)) return false;
      }
  return true;
}

/** Hessian of a smoothed volume at an interior voxel; |lambda_min| / |lambda_max| for a bright blob. */
function sphericityAt(g: Float32Array, c: number, nx: number, plane: number): number {
  const at = (o: number) => g[c + o]!;
  const v = at(0);
  const hxx = at(1) - 2 * v + at(-1);
  const hyy = at(nx) - 2 * v + at(-nx);
  const hzz = at(plane) - 2 * v + at(-plane);
  const hxy = (at(1 + nx) - at(1 - nx) - at(-1 + nx) + at(-1 - nx)) / 4;
  const hxz = (at(1 + plane) - at(1 - plane) - at(-1 + plane) + at(-1 - plane)) / 4;
  const hyz = (at(nx + plane) - at(nx - plane) - at(-nx + plane) + at(-nx - plane)) / 4;
  const [l1, , l3] = symmetricEigenvalues(hxx, hyy, hzz, hxy, hxz, hyz);
  // Bright blob: all eigenvalues negative; l1 most negative, l3 closest to zero.
  if (l3 >= 0 || l1 >= 0) return 0;
  return l3 / l1;
}

/** Eigenvalues of a symmetric 3x3 matrix, ascending (Smith's trigonometric method). */
export function symmetricEigenvalues(
  a: number,
  b: number,
  c: number,
  d: number,
  e: number,
  f: number,
): [number, number, number] {
  // Matrix [[a, d, e], [d, b, f], [e, f, c]]
  const p1 = d * d + e * e + f * f;
  if (p1 === 0) return [a, b, c].sort((x, y) => x - y) as [number, number, number];
  const q = (a + b + c) / 3;
  const p2 = (a - q) ** 2 + (b - q) ** 2 + (c - q) ** 2 + 2 * p1;
  const p = Math.sqrt(p2 / 6);
  const ba = (a - q) / p;
  const bb = (b - q) / p;
  const bc = (c - q) / p;
  const bd = d / p;
  const be = e / p;
  const bf = f / p;
  const detB = ba * (bb * bc - bf * bf) - bd * (bd * bc - bf * be) + be * (bd * bf - bb * be);
  const r = Math.min(1, Math.max(-1, detB / 2));
  const phi = Math.acos(r) / 3;
  const e1 = q + 2 * p * Math.cos(phi);
  const e3 = q + 2 * p * Math.cos(phi + (2 * Math.PI) / 3);
  const e2 = 3 * q - e1 - e3;
  return [e3, e2, e1];
}

/** Taps either side of the centre that gaussianBlur uses for this sigma. */
function blurRadius(sigma: number): number {
  return Math.max(1, Math.ceil(3 * sigma));
}

/**
 * Which voxels of a grid ([z][y][x]) can differ from one value: per row (y + z * ny) the x range
 * lo..hi (empty when lo > hi); every other voxel holds exactly `outside`. The blob stage fills
 * everything outside the lung with one HU, and most of its grid box is outside the lung: blurring
 * only these ranges (grown by the kernel radius each pass) and writing what the blur makes of
 * `outside` elsewhere gives bit for bit the values of blurring everything.
 */
export interface RowExtent {
  lo: Int32Array;
  hi: Int32Array;
  outside: number;
}

/** Every voxel of every row may differ (a plain blur). */
function wholeRows(dims: Vec3): RowExtent {
  return {
    lo: new Int32Array(dims[1] * dims[2]),
    hi: new Int32Array(dims[1] * dims[2]).fill(dims[0] - 1),
    outside: 0,
  };
}

/**
 * In-place separable Gaussian blur (sigma in grid voxels), edges clamped. Each pass walks memory
 * in order (x along rows, y as whole rows, z as whole planes), which matters far more than the
 * arithmetic on volumes of tens of millions of voxels. `check` runs once per plane and pass, so a
 * cancelled analysis stops within milliseconds. With `extent`, only the rows' ranges that can
 * differ from `extent.outside` are computed; the extent is updated to the blurred volume's.
 */
export function gaussianBlur(
  data: Float32Array,
  dims: Vec3,
  sigma: number,
  check?: () => void,
  extent: RowExtent = wholeRows(dims),
): void {
  const radius = blurRadius(sigma);
  // Half a symmetric kernel: half[0] is the centre tap, half[t] the weight at +-t. Folding the
  // pairs halves the multiplications, and this blur is most of the blob stage's time.
  const half = new Float32Array(radius + 1);
  let sum = 0;
  for (let t = 0; t <= radius; t++) {
    half[t] = Math.exp((-t * t) / (2 * sigma * sigma));
    sum += t === 0 ? half[t]! : 2 * half[t]!;
  }
  for (let t = 0; t <= radius; t++) half[t]! /= sum;
  const w0 = half[0]!;
  const [nx, ny, nz] = dims;
  const plane = nx * ny;
  const { lo: eLo, hi: eHi } = extent;
  // What each pass makes of a run of `outside`, by the very arithmetic of the pass: the x pass
  // sums in double, the y and z passes in the float32 buffer.
  const f32 = new Float32Array(1);
  const v0 = extent.outside;
  let sx = w0 * v0;
  for (let t = 1; t <= radius; t++) sx += half[t]! * (v0 + v0);
  f32[0] = sx;
  const cx = f32[0];
  const sumF32 = (v: number) => {
    f32[0] = w0 * v;
    for (let t = 1; t <= radius; t++) f32[0] += half[t]! * (v + v);
    return f32[0];
  };
  const cy = sumF32(cx);
  const cz = nz < 2 ? cy : sumF32(cy);
  // x: one padded row at a time.
  const line = new Float32Array(nx + 2 * radius);
  for (let r = 0; r < ny * nz; r++) {
    if (r % ny === 0) check?.();
    const base = r * nx;
    if (eHi[r]! < eLo[r]!) {
      data.fill(cx, base, base + nx);
      continue;
    }
    const a = Math.max(0, eLo[r]! - radius);
    const b = Math.min(nx - 1, eHi[r]! + radius);
    line.set(data.subarray(base, base + nx), radius);
    line.fill(data[base]!, 0, radius);
    line.fill(data[base + nx - 1]!, radius + nx);
    for (let x = a; x <= b; x++) {
      const c = x + radius;
      let s = w0 * line[c]!;
      for (let t = 1; t <= radius; t++) s += half[t]! * (line[c - t]! + line[c + t]!);
      data[base + x] = s;
    }
    data.fill(cx, base, base + a);
    data.fill(cx, base + b + 1, base + nx);
    eLo[r] = a;
    eHi[r] = b;
  }
  // y: rows of one plane accumulated into a plane buffer. A row's range is the union of the
  // ranges of the rows its kernel reaches.
  const buf = new Float32Array(plane);
  const rowLo = new Int32Array(ny);
  const rowHi = new Int32Array(ny);
  for (let z = 0; z < nz; z++) {
    check?.();
    const base = z * plane;
    const er = z * ny;
    for (let y = 0; y < ny; y++) {
      let a = nx;
      let b = -1;
      for (let t = Math.max(0, y - radius); t <= Math.min(ny - 1, y + radius); t++) {
        if (eHi[er + t]! < eLo[er + t]!) continue;
        a = Math.min(a, eLo[er + t]!);
        b = Math.max(b, eHi[er + t]!);
      }
      rowLo[y] = a;
      rowHi[y] = b;
      const o = y * nx;
      if (b < a) {
        buf.fill(cy, o, o + nx);
        continue;
      }
      const src0 = base + o;
      for (let x = a; x <= b; x++) buf[o + x] = w0 * data[src0 + x]!;
      for (let t = 1; t <= radius; t++) {
        const w = half[t]!;
        const lo = base + Math.max(0, y - t) * nx;
        const hi = base + Math.min(ny - 1, y + t) * nx;
        for (let x = a; x <= b; x++) buf[o + x]! += w * (data[lo + x]! + data[hi + x]!);
      }
      buf.fill(cy, o, o + a);
      buf.fill(cy, o + b + 1, o + nx);
    }
    eLo.set(rowLo, er);
    eHi.set(rowHi, er);
    data.set(buf, base);
  }
  // z: whole planes; a ring of the last 2 radius + 1 input planes keeps the pass in place.
  if (nz < 2) {
    extent.outside = cy;
    return;
  }
  const before = { lo: eLo.slice(), hi: eHi.slice() };
  const taps = 2 * radius + 1;
  const ring = Array.from({ length: taps }, () => new Float32Array(plane));
  const planeAt = (z: number) => ring[((z % taps) + taps) % taps]!;
  const load = (z: number) => planeAt(z).set(data.subarray(z * plane, (z + 1) * plane));
  for (let z = 0; z < Math.min(nz, radius + 1); z++) load(z);
  for (let z = 0; z < nz; z++) {
    check?.();
    if (z + radius < nz && z + radius > radius) load(z + radius);
    const mid = planeAt(z);
    const z0 = Math.max(0, z - radius);
    const z1 = Math.min(nz - 1, z + radius);
    for (let y = 0; y < ny; y++) {
      let a = nx;
      let b = -1;
      for (let k = z0; k <= z1; k++) {
        const r = k * ny + y;
        if (before.hi[r]! < before.lo[r]!) continue;
        a = Math.min(a, before.lo[r]!);
        b = Math.max(b, before.hi[r]!);
      }
      eLo[z * ny + y] = a;
      eHi[z * ny + y] = b;
      const o = y * nx;
      if (b < a) {
        buf.fill(cz, o, o + nx);
        continue;
      }
      for (let x = a; x <= b; x++) buf[o + x] = w0 * mid[o + x]!;
      for (let t = 1; t <= radius; t++) {
        const pa = planeAt(Math.max(0, z - t));
        const pb = planeAt(Math.min(nz - 1, z + t));
        const w = half[t]!;
        for (let x = a; x <= b; x++) buf[o + x]! += w * (pa[o + x]! + pb[o + x]!);
      }
      buf.fill(cz, o, o + a);
      buf.fill(cz, o + b + 1, o + nx);
    }
    data.set(buf, z * plane);
  }
  extent.outside = cz;
}
