/**
 * The same real acquisition as another scanner protocol would show it, for the real-data tests of
 * the shipped models (training/insert_nodules.py --thicken makes the same series for training and
 * the app checks).
 */
import { voxelToWorld, type Volume } from '../../src/common/volume';

/** Every `k` adjacent slices averaged into one slice k times as thick, centred at their mean. */
export function thicken(v: Volume, k: number): Volume {
  const [nx, ny, nz] = v.dims;
  const n = Math.floor(nz / k);
  const plane = nx * ny;
  const hu = new Int16Array(plane * n);
  for (let s = 0; s < n; s++)
    for (let p = 0; p < plane; p++) {
      let sum = 0;
      for (let t = 0; t < k; t++) sum += v.hu[(s * k + t) * plane + p]!;
      hu[s * plane + p] = Math.round(sum / k);
    }
  return {
    dims: [nx, ny, n],
    spacingMm: [v.spacingMm[0], v.spacingMm[1], v.spacingMm[2] * k],
    originLps: voxelToWorld(v, [0, 0, (k - 1) / 2]),
    direction: v.direction,
    hu,
  };
}
