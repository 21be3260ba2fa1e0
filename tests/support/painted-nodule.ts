/**
 * Nodules painted into a real scan for tests: the nodule's density is added to the voxels, so
 * the scan's own noise and texture stay on it.
 */
import { worldToVoxel, type Vec3, type Volume } from '../../src/common/volume';

/** The aerated lung the painted density is added over (HU). */
export const PARENCHYMA_HU = -860;

/** A copy of the volume with a sphere painted at `at` (LPS mm): `huAt(r)` at r mm from its centre. */
export function painted(volume: Volume, at: Vec3, radiusMm: number, huAt: (rMm: number) => number): Volume {
  const hu = Int16Array.from(volume.hu);
  const [vx, vy] = volume.dims;
  const sp = volume.spacingMm;
  const c = worldToVoxel(volume, at);
  const reach = radiusMm + 1;
  for (let k = Math.floor(c[2] - reach / sp[2]); k <= Math.ceil(c[2] + reach / sp[2]); k++)
    for (let j = Math.floor(c[1] - reach / sp[1]); j <= Math.ceil(c[1] + reach / sp[1]); j++)
      for (let i = Math.floor(c[0] - reach / sp[0]); i <= Math.ceil(c[0] + reach / sp[0]); i++) {
        const r = Math.hypot((i - c[0]) * sp[0], (j - c[1]) * sp[1], (k - c[2]) * sp[2]);
        // A 1 mm ramp at the edge, as a scanner's blur would make it.
        const w = Math.min(1, Math.max(0, radiusMm + 0.5 - r));
        if (w <= 0) continue;
        const v = i + j * vx + k * vx * vy;
        hu[v] = Math.round(hu[v]! + w * (huAt(r) - PARENCHYMA_HU));
      }
  return { ...volume, hu };
}
