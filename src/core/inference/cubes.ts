import type { Vec3, Volume } from '../volume/volume';
import { huScaler } from './grid';

/**
 * The characterizer's input: a cube of cubeSize voxels at spacingMm around a centre (continuous
 * volume voxels), trilinear from the HU volume, scaled like the detector input. Voxel index
 * cube/2 sits on the centre; outside the volume counts as air.
 */
export function extractCube(
  volume: Volume,
  centre: Vec3,
  cubeSize: readonly [number, number, number],
  spacingMm: readonly [number, number, number],
  huWindow: readonly [number, number],
  out: Float32Array,
  offset = 0,
): void {
  const [cz, cy, cx] = cubeSize;
  const [vx, vy, vz] = volume.dims;
  const scale = huScaler(huWindow);
  const air = scale(-1000);
  const plane = vx * vy;
  const hu = volume.hu;
  const step: Vec3 = [
    spacingMm[0] / volume.spacingMm[0],
    spacingMm[1] / volume.spacingMm[1],
    spacingMm[2] / volume.spacingMm[2],
  ];
  let o = offset;
  for (let z = 0; z < cz; z++) {
    const pz = centre[2] + (z - cz / 2) * step[2];
    for (let y = 0; y < cy; y++) {
      const py = centre[1] + (y - cy / 2) * step[1];
      for (let x = 0; x < cx; x++) {
        const px = centre[0] + (x - cx / 2) * step[0];
        if (px < 0 || py < 0 || pz < 0 || px > vx - 1 || py > vy - 1 || pz > vz - 1) {
          out[o++] = air;
          continue;
        }
        const i0 = Math.floor(px);
        const j0 = Math.floor(py);
        const k0 = Math.floor(pz);
        const i1 = Math.min(i0 + 1, vx - 1);
        const j1 = Math.min(j0 + 1, vy - 1);
        const k1 = Math.min(k0 + 1, vz - 1);
        const wx = px - i0;
        const wy = py - j0;
        const wz = pz - k0;
        const at = (i: number, j: number, k: number) => hu[i + j * vx + k * plane]!;
        const c00 = at(i0, j0, k0) + (at(i1, j0, k0) - at(i0, j0, k0)) * wx;
        const c01 = at(i0, j1, k0) + (at(i1, j1, k0) - at(i0, j1, k0)) * wx;
        const c10 = at(i0, j0, k1) + (at(i1, j0, k1) - at(i0, j0, k1)) * wx;
        const c11 = at(i0, j1, k1) + (at(i1, j1, k1) - at(i0, j1, k1)) * wx;
        const c0 = c00 + (c01 - c00) * wy;
        const c1 = c10 + (c11 - c10) * wy;
        out[o++] = scale(c0 + (c1 - c0) * wz);
      }
    }
  }
}
