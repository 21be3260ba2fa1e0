import type { Vec3, Volume } from '../../src/common/volume';

/**
 * Aerated lung (-850 HU) on a `dims` grid of `spacing` mm with dense shapes painted in: `paint`
 * gets each voxel's position in mm (world = voxel x spacing) and returns its HU, or null for lung.
 */
export function paintedLung(dims: Vec3, spacing: Vec3, paint: (p: Vec3) => number | null): Volume {
  const [nx, ny, nz] = dims;
  const hu = new Int16Array(nx * ny * nz).fill(-850);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const v = paint([i * spacing[0], j * spacing[1], k * spacing[2]]);
        if (v !== null) hu[i + j * nx + k * nx * ny] = v;
      }
  return { dims, spacingMm: spacing, originLps: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], hu };
}
