/**
 * A CT volume in Hounsfield units on a regular grid in DICOM patient coordinates (LPS, mm).
 *
 * Voxel (i, j, k): i runs along a row (columns, x), j down the columns (rows, y), k across
 * sorted slices. Index in `hu` = i + j * nx + k * nx * ny.
 * world = origin + i * sx * rowDir + j * sy * colDir + k * sz * sliceDir
 */
export type Vec3 = [number, number, number];

/** Row direction (3), column direction (3), slice direction (3): ImageOrientationPatient + its normal. */
export type DirectionCosines = [number, number, number, number, number, number, number, number, number];

export interface VolumeGeometry {
  /** [columns, rows, slices] */
  dims: Vec3;
  /** [column spacing, row spacing, distance between sorted slice centres] in mm */
  spacingMm: Vec3;
  /** World position (LPS mm) of voxel (0,0,0). */
  originLps: Vec3;
  direction: DirectionCosines;
}

export interface Volume extends VolumeGeometry {
  hu: Int16Array;
}

export function voxelToWorld(g: VolumeGeometry, v: Readonly<Vec3>): Vec3 {
  const [i, j, k] = v;
  const [sx, sy, sz] = g.spacingMm;
  const d = g.direction;
  const o = g.originLps;
  return [
    o[0] + i * sx * d[0] + j * sy * d[3] + k * sz * d[6],
    o[1] + i * sx * d[1] + j * sy * d[4] + k * sz * d[7],
    o[2] + i * sx * d[2] + j * sy * d[5] + k * sz * d[8],
  ];
}

/** Inverse of voxelToWorld; returns continuous voxel coordinates (round for an index). */
export function worldToVoxel(g: VolumeGeometry, w: Readonly<Vec3>): Vec3 {
  const d = g.direction;
  const o = g.originLps;
  const p: Vec3 = [w[0] - o[0], w[1] - o[1], w[2] - o[2]];
  // The three axes are orthonormal for CT, so projection onto each axis inverts the map.
  // (A gantry-tilted series is shifted onto an orthogonal grid at load: core/dicom/gantry-tilt.ts.)
  const [sx, sy, sz] = g.spacingMm;
  return [
    (p[0] * d[0] + p[1] * d[1] + p[2] * d[2]) / sx,
    (p[0] * d[3] + p[1] * d[4] + p[2] * d[5]) / sy,
    (p[0] * d[6] + p[1] * d[7] + p[2] * d[8]) / sz,
  ];
}

export function voxelIndex(g: VolumeGeometry, i: number, j: number, k: number): number {
  return i + j * g.dims[0] + k * g.dims[0] * g.dims[1];
}
