/**
 * A small synthetic chest volume built in code for pipeline tests: air outside, a soft-tissue
 * body, two lungs at about -850 HU with noise, a vessel, and spherical nodules at known places.
 */
import type { DirectionCosines, Vec3, Volume } from '../../src/common/volume';

export interface SyntheticNodule {
  /** Centre in voxel coordinates of the volume. */
  centre: Vec3;
  diameterMm: number;
  hu: number;
}

export interface SyntheticChestOptions {
  dims?: Vec3;
  spacingMm?: Vec3;
  originLps?: Vec3;
  direction?: DirectionCosines;
  nodules?: SyntheticNodule[];
  seed?: number;
}

export function syntheticChest(opts: SyntheticChestOptions = {}): Volume {
  const dims = opts.dims ?? [96, 96, 48];
  const spacing = opts.spacingMm ?? [0.8, 0.8, 1.5];
  const [nx, ny, nz] = dims;
  const [sx, sy, sz] = spacing;
  const hu = new Int16Array(nx * ny * nz);
  let s = opts.seed ?? 1;
  const rand = () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const cx = (nx - 1) / 2;
  const cy = (ny - 1) / 2;
  const cz = (nz - 1) / 2;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const x = (i - cx) * sx;
        const y = (j - cy) * sy;
        const z = (k - cz) * sz;
        let v = -1000;
        const bodyR = Math.hypot(x / (nx * sx * 0.46), y / (ny * sy * 0.4));
        if (bodyR < 1) v = 40;
        for (const side of [-1, 1]) {
          const lx = (x - side * nx * sx * 0.2) / (nx * sx * 0.16);
          const ly = y / (ny * sy * 0.3);
          const lz = z / (nz * sz * 0.45);
          if (lx * lx + ly * ly + lz * lz < 1) v = -850;
        }
        // a vessel along z in the right lung, 3 mm across
        if (v === -850 && Math.hypot(x + nx * sx * 0.25, y - 4) < 1.5) v = 40;
        for (const n of opts.nodules ?? []) {
          const d = Math.hypot((i - n.centre[0]) * sx, (j - n.centre[1]) * sy, (k - n.centre[2]) * sz);
          if (d <= n.diameterMm / 2) v = n.hu;
        }
        hu[i + j * nx + k * nx * ny] = Math.round(v + (rand() - 0.5) * 40);
      }
    }
  }
  return {
    dims,
    spacingMm: spacing,
    originLps: opts.originLps ?? [-100, -120, -300],
    direction: opts.direction ?? [1, 0, 0, 0, 1, 0, 0, 0, 1],
    hu,
  };
}
