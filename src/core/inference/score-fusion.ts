/**
 * Score fusion (session 43): the characterizer sees 32 mm cubes around a candidate, a second U-Net
 * sees 48-128 mm of context around it, and each misses nodules the other scores well. A finding's
 * score is sigmoid(logit(p_nodule) + weight x logit(h)), h the second U-Net's heatmap maximum within
 * a few mm of the candidate (a candidate centre may sit a voxel or two off the heatmap's peak on the
 * same object). The weight, radius and clip are the manifest's (operatingPoint.fusion), chosen and
 * measured by training/fusion_check.py and cv_report.py on exactly these functions' output.
 */
import type { Vec3 } from '../../common/volume';
import { volumeToGrid, type ResampleGrid } from './grid';
import { boundedLogit, type ScoreFusion } from './manifest';

/**
 * The maximum of `prob` (model grid `grid`, voxels `gridMm` apart, x fastest) within `radiusMm` of
 * each centre (continuous volume voxels); 0 where the sphere holds no grid voxel.
 */
export function heatNear(
  prob: Float32Array,
  grid: ResampleGrid,
  gridMm: Vec3,
  centres: readonly Vec3[],
  radiusMm: number,
): number[] {
  const [gx, gy, gz] = grid.dims;
  if (prob.length !== gx * gy * gz)
    throw new RangeError(`heatmap has ${prob.length} voxels, grid ${gx}x${gy}x${gz}`);
  const r: Vec3 = [radiusMm / gridMm[0], radiusMm / gridMm[1], radiusMm / gridMm[2]];
  const r2 = radiusMm ** 2;
  return centres.map((c) => {
    const g = volumeToGrid(grid, c);
    let best = 0;
    const z0 = Math.max(0, Math.ceil(g[2] - r[2]));
    const z1 = Math.min(gz - 1, Math.floor(g[2] + r[2]));
    const y0 = Math.max(0, Math.ceil(g[1] - r[1]));
    const y1 = Math.min(gy - 1, Math.floor(g[1] + r[1]));
    const x0 = Math.max(0, Math.ceil(g[0] - r[0]));
    const x1 = Math.min(gx - 1, Math.floor(g[0] + r[0]));
    for (let z = z0; z <= z1; z++)
      for (let y = y0; y <= y1; y++)
        for (let x = x0; x <= x1; x++) {
          const d2 =
            ((x - g[0]) * gridMm[0]) ** 2 + ((y - g[1]) * gridMm[1]) ** 2 + ((z - g[2]) * gridMm[2]) ** 2;
          if (d2 <= r2) best = Math.max(best, prob[x + gx * (y + gy * z)]!);
        }
    return best;
  });
}

/** sigmoid(logit(pNodule) + weight x logit(heat)), heat clipped to [heatClip, 1 - heatClip]. */
export function fuseScore(
  pNodule: number,
  heat: number,
  f: Pick<ScoreFusion, 'weight' | 'heatClip'>,
): number {
  const h = Math.min(Math.max(heat, f.heatClip), 1 - f.heatClip);
  return 1 / (1 + Math.exp(-(boundedLogit(pNodule) + f.weight * Math.log(h / (1 - h)))));
}
