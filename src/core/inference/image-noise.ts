/**
 * Image noise of a CT series, the way a physicist measures it (SD of HU in homogeneous soft
 * tissue) and at the scale where noise turns into false nodules.
 *
 * Why two figures: a sharp (lung / bone) kernel doubles or triples the soft-tissue SD by lifting
 * fine-grained noise that the model's 1 mm cubes average away, while a lower dose raises the noise
 * at every scale, blob-sized grains included. Session 20 (training/lowdose_check.py) measured the
 * shipped models hold their false-positive rate on LIDC-IDRI-0001 through sharp kernels and at a
 * quarter of its dose, and not at a ninth; the soft-tissue SD of the sharpest copy and of the
 * ninth-dose copy were the same (~44 HU), their noise at nodule scale was not. So the warning
 * compares the nodule-scale figure against what the models were validated at (manifest
 * `operatingPoint.noise`).
 *
 * Method: 2D patches (~24 mm, every half patch) on 60 native slices of the middle 60% of the series, soft tissue
 * only (the patch smoothed at 1 mm within [-150, 150] HU: fat to muscle, no lung, bone or contrast
 * edges), a plane fitted and removed (body-wall gradients), the most homogeneous third kept (the
 * rest still holds structure). Soft-tissue SD is the residual's SD on the slice; nodule-scale SD
 * the residual's SD after a 3D Gaussian of sigma 1 mm (the model's 1 mm grid, and about the scale
 * of the smallest nodules the app reports).
 *
 * Why that many patches: which patches fall on homogeneous tissue depends on where the patch grid
 * starts, so the figure moves with the image's storage order and field of view. On LIDC-IDRI-0001
 * flipped and shifted by 2-16 voxels (training/noise_levels.ts --regrid) it read 6.42-6.88 HU with a
 * patch every 3/4 patch on 30 slices, 6.46-6.70 HU now (~+80 ms a series); the validated limit is
 * the largest reading of its scan (training/noise_calibration.py), so a scan stored differently is
 * not called noisier than itself.
 */
import type { ImageNoise } from '../../common/findings/findings-document';
import type { Volume } from '../../common/volume';

/** Gaussian sigma (mm) of the nodule-scale figure. */
export const NODULE_SCALE_SIGMA_MM = 1;
const PATCH_MM = 24;
const SOFT_TISSUE_HU: readonly [number, number] = [-150, 150];
/** Patch grid step as a share of the patch's side, and how many slices are sampled. */
const PATCH_STEP_OF_SIDE = 0.5;
const SAMPLED_SLICES = 60;
/** Fewer kept patches than this and the figure is not trusted (reported as not measured). */
export const MIN_NOISE_PATCHES = 20;

const round2 = (v: number) => Math.round(v * 100) / 100;

/** Normalised 1D Gaussian taps, radius ceil(3 sigma). */
function taps(sigma: number): Float64Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const w = new Float64Array(2 * r + 1);
  let s = 0;
  for (let t = -r; t <= r; t++) s += w[t + r] = Math.exp((-t * t) / (2 * sigma * sigma));
  for (let t = 0; t < w.length; t++) w[t]! /= s;
  return w;
}

/** Valid-region separable convolution of a p x p patch: (p - 2r)^2 values. */
function smoothValid(
  patch: Float64Array,
  p: number,
  w: Float64Array,
  rows: Float64Array,
  out: Float64Array,
): number {
  const r = (w.length - 1) / 2;
  const q = p - 2 * r;
  for (let y = 0; y < p; y++)
    for (let x = 0; x < q; x++) {
      let s = 0;
      for (let t = 0; t < w.length; t++) s += w[t]! * patch[y * p + x + t]!;
      rows[y * q + x] = s;
    }
  for (let y = 0; y < q; y++)
    for (let x = 0; x < q; x++) {
      let s = 0;
      for (let t = 0; t < w.length; t++) s += w[t]! * rows[(y + t) * q + x]!;
      out[y * q + x] = s;
    }
  return q;
}

function sd(a: Float64Array, n: number): number {
  let m = 0;
  for (let i = 0; i < n; i++) m += a[i]!;
  m /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (a[i]! - m) ** 2;
  return Math.sqrt(v / n);
}

/**
 * The series' noise (see the module comment). `measured: false` (with the patch count) when the
 * series holds too little homogeneous soft tissue to say (a phantom, a tight field of view).
 */
export function measureImageNoise(volume: Pick<Volume, 'hu' | 'dims' | 'spacingMm'>): ImageNoise {
  const [nx, ny, nz] = volume.dims;
  const px = Math.sqrt(volume.spacingMm[0] * volume.spacingMm[1]);
  const p = Math.min(64, Math.max(16, Math.round(PATCH_MM / px)));
  const stride = Math.max(1, Math.round(PATCH_STEP_OF_SIDE * p));
  const w = taps(NODULE_SCALE_SIGMA_MM / px);
  const r = (w.length - 1) / 2;
  const base = { sigmaMm: NODULE_SCALE_SIGMA_MM, softTissueHu: SOFT_TISSUE_HU } as const;
  if (p - 2 * r < 4 || nx < p || ny < p) return { ...base, measured: false, patches: 0 };

  // Across slices the same 1 mm Gaussian, in slice units: thin slices average as the model's 1 mm
  // grid averages them (their per-slice noise overstates what it sees); thick ones barely change.
  const wz = taps(NODULE_SCALE_SIGMA_MM / volume.spacingMm[2]);
  const rz = (wz.length - 1) / 2;
  const patch = new Float64Array(p * p);
  const deep = new Float64Array(p * p);
  const rows = new Float64Array(p * p);
  const smooth = new Float64Array(p * p);
  // Centred coordinates are orthogonal to the constant and to each other on a square grid, so
  // the least-squares plane is three independent projections; removes it in place, returns it.
  const c = (p - 1) / 2;
  let syy = 0;
  for (let t = 0; t < p; t++) syy += (t - c) ** 2;
  syy *= p;
  const removePlane = (a: Float64Array): [number, number, number] => {
    let mean = 0;
    let gy = 0;
    let gx = 0;
    for (let y = 0; y < p; y++)
      for (let x = 0; x < p; x++) {
        const v = a[y * p + x]!;
        mean += v;
        gy += v * (y - c);
        gx += v * (x - c);
      }
    mean /= p * p;
    gy /= syy;
    gx /= syy;
    for (let y = 0; y < p; y++)
      for (let x = 0; x < p; x++) a[y * p + x]! -= mean + gy * (y - c) + gx * (x - c);
    return [mean, gy, gx];
  };
  const found: { raw: number; fine: number }[] = [];
  const marginX = Math.floor(nx / 8);
  const marginY = Math.floor(ny / 8);
  const plane = nx * ny;
  const step = Math.max(1, Math.floor(nz / SAMPLED_SLICES));
  for (let k = Math.max(rz, Math.floor(nz / 5)); k < Math.min(nz - rz, Math.ceil((4 * nz) / 5)); k += step) {
    for (let j = marginY; j + p <= ny - marginY; j += stride)
      patches: for (let i = marginX; i + p <= nx - marginX; i += stride) {
        deep.fill(0);
        for (let t = -rz; t <= rz; t++) {
          const wt = wz[t + rz]!;
          for (let y = 0; y < p; y++) {
            const row = (k + t) * plane + (j + y) * nx + i;
            for (let x = 0; x < p; x++) {
              const v = volume.hu[row + x]!;
              // Cheap early out: lung, bone and contrast are far outside soft tissue even unsmoothed.
              if (v < SOFT_TISSUE_HU[0] - 250 || v > SOFT_TISSUE_HU[1] + 250) continue patches;
              if (t === 0) patch[y * p + x] = v;
              deep[y * p + x]! += wt * v;
            }
          }
        }
        removePlane(patch);
        const [mean, gy, gx] = removePlane(deep);
        const q = smoothValid(deep, p, w, rows, smooth);
        for (let y = 0; y < q; y++)
          for (let x = 0; x < q; x++) {
            const v = smooth[y * q + x]! + mean + gy * (y + r - c) + gx * (x + r - c);
            if (v < SOFT_TISSUE_HU[0] || v > SOFT_TISSUE_HU[1]) continue patches;
          }
        found.push({ raw: sd(patch, p * p), fine: sd(smooth, q * q) });
      }
  }
  if (found.length === 0) return { ...base, measured: false, patches: 0 };
  const byRaw = found.map((f) => f.raw).sort((a, b) => a - b);
  const cut = byRaw[Math.floor((byRaw.length - 1) / 3)]!;
  const kept = found.filter((f) => f.raw <= cut);
  if (kept.length < MIN_NOISE_PATCHES) return { ...base, measured: false, patches: kept.length };
  const mean = (f: (x: { raw: number; fine: number }) => number) =>
    kept.reduce((s, x) => s + f(x), 0) / kept.length;
  return {
    ...base,
    measured: true,
    patches: kept.length,
    softTissueSdHu: round2(mean((x) => x.raw)),
    noduleScaleSdHu: round2(mean((x) => x.fine)),
  };
}
