/**
 * A third stage-1 candidate source: the centres of the thickest pieces of dense tissue in the lung,
 * the local maxima of the Euclidean distance from every voxel above THICKNESS_DENSE_HU to the
 * nearest voxel below it (or outside the lung core). Why: the stage-1 misses are juxtavascular
 * nodules that the Hessian blob filter reads as a tube (sphericity near 0, ranked far below its
 * quota) or merges into the vessel's blob (training/README.md, sessions 18 and 24). A nodule
 * sitting on a vessel is thicker than the vessel, so its centre is a maximum of the distance
 * transform whatever the vessel around it looks like: the same reasoning as re-centring
 * (recentre.ts), applied to the whole lung instead of a candidate's neighbourhood.
 */
import type { Vec3, Volume } from '../../common/volume';
import { lineScratch, squaredDistanceLine } from './distance-transform';
import type { ResampleGrid } from './grid';
import { inLungCore, nearestCoarse } from './lung-mask';
import { maskBounds } from './morphology';
import { DIRECTIONS_26 } from '../synth/vec';

/** Dense enough to be part of a nodule: solid and most ground glass, not aerated lung. */
export const THICKNESS_DENSE_HU = -600;
/** Thinnest piece of tissue whose centre is a candidate: an inscribed sphere of 3 mm diameter. */
export const THICKNESS_MIN_RADIUS_MM = 1.5;
/** How far past a peak's inscribed sphere the lung core is looked for (atCoreEdge). */
export const CORE_EDGE_MARGIN_MM = 1;

export interface ThicknessPeak {
  /** Volume voxel (i, j, k). */
  centre: Vec3;
  /** Radius of the largest sphere of dense tissue centred there, mm. */
  radiusMm: number;
  /**
   * That sphere, grown by CORE_EDGE_MARGIN_MM, reaches outside the lung core (or the image): the
   * tissue's thickness was cut off by the mask's edge, not by aerated lung, as where the closing
   * took in chest wall or mediastinum. Such a peak is no object's centre (session 28: LIDC-IDRI-0002's
   * paravertebral pleura at the apex listed as a finding from a second centre).
   */
  atCoreEdge: boolean;
}

export interface ThicknessOptions {
  denseHu?: number;
  minRadiusMm?: number;
}

/**
 * The thickest-first peaks of the dense tissue inside the lung core (coarse mask, nearest coarse
 * voxel decides): voxels whose distance is the largest within about +-1.5 mm (at least one voxel
 * each way), then greedily thinned so no two lie closer than max(3 mm, the kept one's radius).
 * Ties go to the lower voxel index, so the list is the same on every run.
 */
export function thicknessPeaks(
  volume: Pick<Volume, 'hu' | 'dims' | 'spacingMm'>,
  lung: { core: Uint8Array; grid: ResampleGrid },
  opts: ThicknessOptions = {},
): ThicknessPeak[] {
  const denseHu = opts.denseHu ?? THICKNESS_DENSE_HU;
  const minR2 = (opts.minRadiusMm ?? THICKNESS_MIN_RADIUS_MM) ** 2;
  const sp = volume.spacingMm;
  const [vx, vy] = volume.dims;
  const [cx, cy] = lung.grid.dims;
  const bounds = maskBounds(lung.core, lung.grid.dims);
  if (!bounds) return [];
  // The box of volume voxels whose nearest coarse voxel can be in the core, one voxel wider each
  // way so dense tissue at its edge still has background beside it.
  const lo = [0, 1, 2].map((a) =>
    Math.max(0, Math.floor((bounds.lo[a]! - 0.5) * lung.grid.step[a]!) - 1),
  ) as Vec3;
  const hi = [0, 1, 2].map((a) =>
    Math.min(volume.dims[a]! - 1, Math.ceil((bounds.hi[a]! - 0.5) * lung.grid.step[a]!) + 1),
  ) as Vec3;
  const [nx, ny, nz] = [hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1];
  // Per-axis nearest coarse index, so the lung test is three table reads.
  const table = (a: 0 | 1 | 2, n: number) =>
    Int32Array.from({ length: n }, (_, i) => nearestCoarse(lung.grid, a, lo[a] + i));
  const tx = table(0, nx);
  const ty = table(1, ny);
  const tz = table(2, nz);
  // Squared distances in mm^2 (float32: 4 bytes a voxel of the lung's box).
  const d2 = new Float32Array(nx * ny * nz);
  for (let k = 0; k < nz; k++) {
    const zo = tz[k]! * cx * cy;
    for (let j = 0; j < ny; j++) {
      const yo = zo + ty[j]! * cx;
      const src = ((lo[2] + k) * vy + lo[1] + j) * vx + lo[0];
      const row = (k * ny + j) * nx;
      for (let i = 0; i < nx; i++) {
        d2[row + i] = volume.hu[src + i]! > denseHu && lung.core[yo + tx[i]!] === 1 ? Infinity : 0;
      }
    }
  }
  // Exact squared distance to the nearest background voxel, one axis at a time.
  const line = lineScratch(Math.max(nx, ny, nz));
  const pass = (n: number, stride: number, count: number, start: (q: number) => number, spacing: number) => {
    for (let q = 0; q < count; q++) {
      const s0 = start(q);
      let any = false;
      for (let t = 0; t < n; t++) {
        const f = d2[s0 + t * stride]!;
        line.f[t] = f;
        if (f !== 0) any = true;
      }
      if (!any) continue;
      squaredDistanceLine(line, n, spacing);
      for (let t = 0; t < n; t++) d2[s0 + t * stride] = line.out[t]!;
    }
  };
  pass(nx, 1, ny * nz, (q) => q * nx, sp[0]);
  pass(ny, nx, nx * nz, (q) => (q % nx) + Math.floor(q / nx) * nx * ny, sp[1]);
  pass(nz, nx * ny, nx * ny, (q) => q, sp[2]);

  const h = sp.map((s) => Math.max(1, Math.round(1.5 / s))) as Vec3;
  const peaks: number[] = [];
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const v = (k * ny + j) * nx + i;
        const c = d2[v]!;
        if (c < minR2 || c === Infinity) continue;
        let top = true;
        for (let dz = -h[2]; dz <= h[2] && top; dz++) {
          const z = k + dz;
          if (z < 0 || z >= nz) continue;
          for (let dy = -h[1]; dy <= h[1] && top; dy++) {
            const y = j + dy;
            if (y < 0 || y >= ny) continue;
            const o = (z * ny + y) * nx;
            for (let dx = -h[0]; dx <= h[0]; dx++) {
              const x = i + dx;
              if (x >= 0 && x < nx && d2[o + x]! > c) {
                top = false;
                break;
              }
            }
          }
        }
        if (top) peaks.push(v);
      }
  peaks.sort((a, b) => d2[b]! - d2[a]! || a - b);

  const kept: ThicknessPeak[] = [];
  const keptMm: Vec3[] = [];
  const inCore = inLungCore(lung.grid, lung);
  for (const v of peaks) {
    const i = v % nx;
    const j = Math.floor(v / nx) % ny;
    const k = Math.floor(v / (nx * ny));
    const p: Vec3 = [i * sp[0], j * sp[1], k * sp[2]];
    let near = false;
    for (let n = 0; n < kept.length && !near; n++) {
      const q = keptMm[n]!;
      const reach = Math.max(3, kept[n]!.radiusMm);
      near = Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]) < reach;
    }
    if (near) continue;
    const centre: Vec3 = [lo[0] + i, lo[1] + j, lo[2] + k];
    const radiusMm = Math.sqrt(d2[v]!);
    kept.push({ centre, radiusMm, atCoreEdge: reachesCoreEdge(centre, radiusMm + CORE_EDGE_MARGIN_MM) });
    keptMm.push(p);
  }
  return kept;

  /** Whether any of the 26 compass points `reachMm` from volume voxel `c` lies outside the core. */
  function reachesCoreEdge(c: Vec3, reachMm: number): boolean {
    for (const u of DIRECTIONS_26) {
      const at = [0, 1, 2].map((a) => Math.round(c[a]! + (u[a]! * reachMm) / sp[a]!)) as Vec3;
      if (at.some((n, a) => n < 0 || n >= volume.dims[a]!)) return true;
      if (!inCore(at[0], at[1], at[2])) return true;
    }
    return false;
  }
}
