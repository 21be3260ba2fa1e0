/** The 3D U-Net on the whole scan: sliding-window probability on the model grid, and on the CT grid. */
import type { Volume, VolumeGeometry } from '../../common/volume';
import { axisTable, huScaler, resampleSlab, type ResampleGrid } from './grid';
import { nearestCoarse } from './lung-mask';
import { maskBounds } from './morphology';
import type { DetectorPass } from './runtime';
import { coverage, gaussianWeights, spanTiles } from './sliding-window';

/** The detector's probability on the volume's own grid: probability = data[v] / 255. */
export interface Heatmap extends VolumeGeometry {
  data: Uint8Array;
}

/** How the U-Net's sliding window is laid over the scan. */
export interface DetectorTiling {
  /**
   * Largest tile edge, in model-grid voxels. A detector that takes any multiple of its
   * downsampling factor gets tiles up to this edge, fitted to the lung; one fixed to its
   * patchSize gets that.
   */
  maxEdge: number;
  /** Fraction of a tile's edge that neighbouring tiles share. */
  overlap: number;
}

/**
 * Tiles of up to 128 voxels sharing 16 (an eighth) on the CPU: the U-Net costs the same per voxel
 * at any tile size (about 400-520 ns a voxel for 64-160 voxel tiles here), so fewer, larger tiles fitted to the lung
 * compute each lung voxel about 1.5 times instead of 2.4 (64^3 tiles sharing 16 over the whole
 * grid). On a GPU the neighbours share half, as the 64^3 tiles did.
 */
export function defaultTiling(provider: string): DetectorTiling {
  return { maxEdge: 128, overlap: provider === 'cpu' ? 0.125 : 0.5 };
}

/** Voxels of real context kept around the lung's bounding box, so its edge is not a tile's. */
export const LUNG_CONTEXT_VOXELS = 16;

/** Tile edges a caller may ask for (model-grid voxels). */
export const TILE_EDGE_RANGE = [8, 512] as const;

export function isTileEdge(n: number): boolean {
  return Number.isInteger(n) && n >= TILE_EDGE_RANGE[0] && n <= TILE_EDGE_RANGE[1];
}

/**
 * Sliding-window detection on the model grid, one slab of tile rows at a time: only the scaled
 * input of the current slab and the probability accumulator exist at full model-grid size. The
 * tiles cover the lung mask's bounding box plus LUNG_CONTEXT_VOXELS; tiles that hold no lung are
 * skipped. Returns probability x lung mask on the model grid.
 */
export async function detectHeatmap(
  volume: Volume,
  grid: ResampleGrid,
  coarse: ResampleGrid,
  mask: Uint8Array,
  unet: Pick<DetectorPass, 'spec' | 'tileMultiple' | 'detect'>,
  tiling: DetectorTiling,
  progress: (stage: string, done: number, total: number) => void,
  check: () => void,
): Promise<Float32Array> {
  const det = unet.spec;
  const [gx, gy, gz] = grid.dims;
  const [cx, cy] = coarse.dims;
  // Model grid index -> coarse grid index (nearest), per axis.
  const toCoarse = (n: number, a: 0 | 1 | 2) =>
    Math.min(coarse.dims[a] - 1, Math.round((n * grid.step[a]) / coarse.step[a]));
  const cxOf = Int32Array.from({ length: gx }, (_, i) => toCoarse(i, 0));
  const cyOf = Int32Array.from({ length: gy }, (_, i) => toCoarse(i, 1));
  const czOf = Int32Array.from({ length: gz }, (_, i) => toCoarse(i, 2));
  const box = maskBounds(mask, coarse.dims);
  const m = unet.tileMultiple;
  // The tile edge and starts along axis a (0 = x): the model-grid voxels whose coarse voxel lies in
  // the lung's box, plus context.
  const axisTiles = (a: 0 | 1 | 2, of: Int32Array) => {
    const length = grid.dims[a];
    let lo = 0;
    let hi = length;
    if (box) {
      while (lo < length && of[lo]! < box.lo[a]) lo++;
      while (hi > lo && of[hi - 1]! >= box.hi[a]) hi--;
    }
    const patch = det.patchSize[2 - a]!;
    const edge = m === null ? patch : Math.max(m, Math.floor(tiling.maxEdge / m) * m);
    const overlap = Math.min(edge - 1, Math.round(edge * tiling.overlap));
    return spanTiles(lo - LUNG_CONTEXT_VOXELS, hi + LUNG_CONTEXT_VOXELS, length, edge, overlap, m ?? patch);
  };
  const { size: px, starts: xs } = axisTiles(0, cxOf);
  const { size: py, starts: ys } = axisTiles(1, cyOf);
  const { size: pz, starts: zs } = axisTiles(2, czOf);
  const wz = gaussianWeights(pz);
  const wy = gaussianWeights(py);
  const wx = gaussianWeights(px);
  const plane = gx * gy;
  const acc = new Float32Array(plane * gz);
  const scale = huScaler(det.huWindow);
  const pad = scale(-1000);
  const hasLung = (x0: number, y0: number, z0: number) => {
    const xa = cxOf[x0]!;
    const xb = cxOf[Math.min(gx, x0 + px) - 1]!;
    const ya = cyOf[y0]!;
    const yb = cyOf[Math.min(gy, y0 + py) - 1]!;
    const za = czOf[z0]!;
    const zb = czOf[Math.min(gz, z0 + pz) - 1]!;
    for (let z = za; z <= zb; z++)
      for (let y = ya; y <= yb; y++)
        for (let x = xa; x <= xb; x++) if (mask[x + y * cx + z * cx * cy]) return true;
    return false;
  };
  const total = zs.length * ys.length * xs.length;
  let done = 0;
  const patch = new Float32Array(pz * py * px);
  // The rows and columns the tiles cover (a third of LIDC-IDRI-0002's model-grid plane lies
  // outside): only those are resampled, and only those can hold probability.
  const win = {
    x: [xs[0]!, Math.min(gx, xs.at(-1)! + px)],
    y: [ys[0]!, Math.min(gy, ys.at(-1)! + py)],
  } as const;
  const wx0 = win.x[0];
  const wy0 = win.y[0];
  const wnx = win.x[1] - wx0;
  const wny = win.y[1] - wy0;
  const wplane = wnx * wny;
  for (const z0 of zs) {
    const z1 = Math.min(gz, z0 + pz);
    const rows = ys
      .flatMap((y0) => xs.map((x0) => [y0, x0] as const))
      .filter(([y0, x0]) => hasLung(x0, y0, z0));
    done += ys.length * xs.length - rows.length;
    if (rows.length === 0) continue;
    const slab = resampleSlab(
      volume.hu,
      volume.dims,
      { dims: [wnx, wny, gz], step: grid.step },
      z0,
      z1,
      new Float32Array(wplane * (z1 - z0)),
      scale,
      [wx0, wy0],
    );
    for (const [y0, x0] of rows) {
      check();
      patch.fill(pad);
      for (let z = 0; z < z1 - z0; z++)
        for (let y = 0; y < py && y0 + y < gy; y++) {
          const src = z * wplane + (y0 - wy0 + y) * wnx + (x0 - wx0);
          const n = Math.min(px, gx - x0);
          patch.set(slab.subarray(src, src + n), z * py * px + y * px);
        }
      const out = await unet.detect(patch, [pz, py, px]);
      for (let z = 0; z < z1 - z0; z++)
        for (let y = 0; y < py && y0 + y < gy; y++) {
          const w = wz[z]! * wy[y]!;
          const dst = (z0 + z) * plane + (y0 + y) * gx + x0;
          const src = z * py * px + y * px;
          for (let x = 0; x < px && x0 + x < gx; x++) acc[dst + x]! += out[src + x]! * w * wx[x]!;
        }
      done++;
      progress('detection', done, total);
    }
  }
  progress('detection', total, total);
  const cz = coverage(gz, zs, wz);
  const cyv = coverage(gy, ys, wy);
  const cxv = coverage(gx, xs, wx);
  // Outside the window the accumulator is still all 0 (and the lung mask 0: the tiles cover its box).
  const wz1 = Math.min(gz, zs.at(-1)! + pz);
  for (let z = zs[0]!; z < wz1; z++) {
    const mz = czOf[z]! * cx * cy;
    for (let y = win.y[0]; y < win.y[1]; y++) {
      const my = mz + cyOf[y]! * cx;
      const n = cz[z]! * cyv[y]!;
      const base = z * plane + y * gx;
      for (let x = win.x[0]; x < win.x[1]; x++) {
        acc[base + x] = mask[my + cxOf[x]!] ? acc[base + x]! / (n * cxv[x]!) : 0;
      }
    }
  }
  return acc;
}

/**
 * The heatmap as the reader sees it: 0 outside the lung up to the pleura (the lung mask's core,
 * nearest coarse voxel), in place. The detector looks 4 mm beyond the pleura so that a
 * juxtapleural nodule is seen whole, and there its probability lies on the chest wall, the
 * mediastinum, the liver dome and the neck: a fifth to a third of the heat of LIDC-IDRI-0001 and
 * -0002 (session 24), noise on screen, while every finding's centre lies inside the core. Display
 * only: the candidates come from the model-grid probability.
 */
export function clipToLungCore(heatmap: Heatmap, coarse: ResampleGrid, core: Uint8Array): void {
  const [vx, vy, vz] = heatmap.dims;
  const [cx, cy, cz] = coarse.dims;
  if (core.length !== cx * cy * cz) {
    throw new RangeError(`lung core holds ${core.length} voxels for a ${coarse.dims.join('x')} grid`);
  }
  // The nearest coarse voxel per axis, tabled once (inLungCore's rule).
  const nearest = (n: number, a: 0 | 1 | 2) =>
    Int32Array.from({ length: n }, (_, i) => nearestCoarse(coarse, a, i));
  const ci = nearest(vx, 0);
  const cj = nearest(vy, 1);
  const ck = nearest(vz, 2);
  const { data } = heatmap;
  let v = 0;
  for (let k = 0; k < vz; k++) {
    const zk = ck[k]! * cx * cy;
    for (let j = 0; j < vy; j++) {
      const row = zk + cj[j]! * cx;
      for (let i = 0; i < vx; i++, v++) if (data[v] !== 0 && core[row + ci[i]!] !== 1) data[v] = 0;
    }
  }
}

/** The overlay the viewer shows: a U-Net's model-grid probability on the CT's grid, clipped to the lung core. */
export function overlayHeatmap(
  prob: Float32Array,
  grid: ResampleGrid,
  volume: Volume,
  coarse: ResampleGrid,
  core: Uint8Array,
): Heatmap {
  const heatmap = mapBack(prob, grid, volume);
  clipToLungCore(heatmap, coarse, core);
  return heatmap;
}

/** Trilinear resampling of the model-grid probability onto the volume grid, as bytes (p * 255). */
export function mapBack(prob: Float32Array, grid: ResampleGrid, volume: Volume): Heatmap {
  const [vx, vy, vz] = volume.dims;
  const [gx, gy, gz] = grid.dims;
  const inv = (a: 0 | 1 | 2) => 1 / grid.step[a];
  const tx = axisTable(vx, inv(0), gx);
  const ty = axisTable(vy, inv(1), gy);
  const tz = axisTable(vz, inv(2), gz);
  const data = new Uint8Array(vx * vy * vz);
  const plane = gx * gy;
  // Which model-grid rows hold any probability: most of a scan is outside the lung mask, where a
  // CT row whose four source rows are all 0 stays 0 without being visited.
  const live = new Uint8Array(gy * gz);
  for (let r = 0; r < gy * gz; r++) {
    for (let x = r * gx, end = x + gx; x < end; x++)
      if (prob[x] !== 0) {
        live[r] = 1;
        break;
      }
  }
  let o = 0;
  for (let k = 0; k < vz; k++) {
    const k0 = tz.lo[k]! * plane;
    const k1 = tz.hi[k]! * plane;
    const r0 = tz.lo[k]! * gy;
    const r1 = tz.hi[k]! * gy;
    const wzk = tz.w[k]!;
    for (let j = 0; j < vy; j++) {
      if (!(live[r0 + ty.lo[j]!]! | live[r0 + ty.hi[j]!]! | live[r1 + ty.lo[j]!]! | live[r1 + ty.hi[j]!]!)) {
        o += vx;
        continue;
      }
      const j0 = ty.lo[j]! * gx;
      const j1 = ty.hi[j]! * gx;
      const wyj = ty.w[j]!;
      const a00 = k0 + j0;
      const a01 = k0 + j1;
      const a10 = k1 + j0;
      const a11 = k1 + j1;
      for (let i = 0; i < vx; i++) {
        const i0 = tx.lo[i]!;
        const i1 = tx.hi[i]!;
        const wxi = tx.w[i]!;
        const p00 = prob[a00 + i0]!;
        const q00 = prob[a00 + i1]!;
        const p01 = prob[a01 + i0]!;
        const q01 = prob[a01 + i1]!;
        const p10 = prob[a10 + i0]!;
        const q10 = prob[a10 + i1]!;
        const p11 = prob[a11 + i0]!;
        const q11 = prob[a11 + i1]!;
        // Most of a scan is outside the lung mask, where all eight neighbours are exactly 0.
        if (p00 + q00 + p01 + q01 + p10 + q10 + p11 + q11 === 0) {
          o++;
          continue;
        }
        const c00 = p00 + (q00 - p00) * wxi;
        const c01 = p01 + (q01 - p01) * wxi;
        const c10 = p10 + (q10 - p10) * wxi;
        const c11 = p11 + (q11 - p11) * wxi;
        const c0 = c00 + (c01 - c00) * wyj;
        const c1 = c10 + (c11 - c10) * wyj;
        data[o++] = Math.round(Math.min(1, Math.max(0, c0 + (c1 - c0) * wzk)) * 255);
      }
    }
  }
  return {
    dims: [...volume.dims],
    spacingMm: [...volume.spacingMm],
    originLps: [...volume.originLps],
    direction: [...volume.direction],
    data,
  };
}
