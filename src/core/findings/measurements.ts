import type { Vec3, Volume } from '../../common/volume';

/**
 * A binary segmentation stored on a box of the volume grid: voxel (a, b, c) of the box is voxel
 * (origin[0] + a, origin[1] + b, origin[2] + c) of the volume; mask index = a + b*nx + c*nx*ny.
 */
export interface MaskRegion {
  origin: Vec3;
  size: Vec3;
  mask: Uint8Array;
}

/** Whether the region holds volume voxel (i, j, k). */
export function regionHas({ origin, size, mask }: MaskRegion, [i, j, k]: Readonly<Vec3>): boolean {
  const [a, b, c] = [i - origin[0], j - origin[1], k - origin[2]];
  return (
    a >= 0 &&
    b >= 0 &&
    c >= 0 &&
    a < size[0] &&
    b < size[1] &&
    c < size[2] &&
    mask[a + b * size[0] + c * size[0] * size[1]] === 1
  );
}

/** The region's voxels (volume voxel indices), in storage order. */
export function* regionVoxels({ origin, size, mask }: MaskRegion): Generator<Vec3> {
  const [bx, by] = size;
  for (let v = 0; v < mask.length; v++)
    if (mask[v] === 1)
      yield [origin[0] + (v % bx), origin[1] + (((v / bx) | 0) % by), origin[2] + ((v / (bx * by)) | 0)];
}

export interface NoduleMeasurements {
  /** Longest in-plane extent on the axial slice where the segmentation has the largest area. */
  longAxisMm: number;
  /** Extent perpendicular to the long axis on that same slice. */
  shortAxisMm: number;
  /** (long + short) / 2, the Lung-RADS and Fleischner size; not rounded here. */
  meanDiameterMm: number;
  volumeMm3: number;
  meanHu: number;
  voxelCount: number;
  /** Volume slice index k of the slice the axes were measured on. */
  axialSlice: number;
  /** Centroid in continuous volume voxel coordinates. */
  centroidVoxel: Vec3;
}

/**
 * Axial axes of the pixels of one slice. Distances run between pixel centres; one pixel width is
 * added so that a segmentation one pixel wide measures one pixel, as calipers set on the outer
 * pixel edges would. CT pixels are square, so the mean of the two in-plane spacings is that width.
 */
export function axialAxes(
  pixels: Array<[number, number]>,
  sx: number,
  sy: number,
): { longMm: number; shortMm: number } {
  if (pixels.length === 0) return { longMm: 0, shortMm: 0 };
  const px = (sx + sy) / 2;
  // The farthest pair and the extreme projections both lie on the convex hull of the pixel
  // centres, which keeps the quadratic search to a few hundred points even for large masses.
  const hull = convexHull(pixels.map(([x, y]) => [x * sx, y * sy] as [number, number]));
  let best = -1;
  let ux = 1;
  let uy = 0;
  for (let a = 0; a < hull.length; a++) {
    const p = hull[a]!;
    for (let b = a + 1; b < hull.length; b++) {
      const q = hull[b]!;
      const dx = q[0] - p[0];
      const dy = q[1] - p[1];
      const d2 = dx * dx + dy * dy;
      if (d2 > best) {
        best = d2;
        const d = Math.sqrt(d2);
        ux = dx / d;
        uy = dy / d;
      }
    }
  }
  const longCentre = best > 0 ? Math.sqrt(best) : 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (const [x, y] of hull) {
    const t = -uy * x + ux * y;
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  return { longMm: longCentre + px, shortMm: hi - lo + px };
}

/** Andrew's monotone chain; returns the hull vertices (all points when fewer than three). */
function convexHull(points: Array<[number, number]>): Array<[number, number]> {
  const pts = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (pts.length < 3) return pts;
  const cross = (o: [number, number], a: [number, number], b: [number, number]) =>
    (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: Array<[number, number]> = [];
  for (const p of pts) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, p) <= 0)
      lower.pop();
    lower.push(p);
  }
  const upper: Array<[number, number]> = [];
  for (let i = pts.length - 1; i >= 0; i--) {
    const p = pts[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, p) <= 0)
      upper.pop();
    upper.push(p);
  }
  lower.pop();
  upper.pop();
  const hull = lower.concat(upper);
  return hull.length > 0 ? hull : pts;
}

/** Measures a segmentation on its volume: axes, Lung-RADS mean diameter, volume and mean HU. */
export function measureRegion(region: MaskRegion, volume: Volume): NoduleMeasurements {
  const [nx, ny, nz] = region.size;
  const [ox, oy, oz] = region.origin;
  const [vx, vy] = volume.dims;
  const [sx, sy, sz] = volume.spacingMm;
  let count = 0;
  let huSum = 0;
  let ci = 0;
  let cj = 0;
  let ck = 0;
  let bestSlice = -1;
  let bestArea = 0;
  for (let c = 0; c < nz; c++) {
    let area = 0;
    for (let b = 0; b < ny; b++) {
      for (let a = 0; a < nx; a++) {
        if (region.mask[a + b * nx + c * nx * ny] === 0) continue;
        area++;
        const i = ox + a;
        const j = oy + b;
        const k = oz + c;
        huSum += volume.hu[i + j * vx + k * vx * vy] ?? 0;
        ci += i;
        cj += j;
        ck += k;
      }
    }
    count += area;
    if (area > bestArea) {
      bestArea = area;
      bestSlice = c;
    }
  }
  if (count === 0) {
    return {
      longAxisMm: 0,
      shortAxisMm: 0,
      meanDiameterMm: 0,
      volumeMm3: 0,
      meanHu: Number.NaN,
      voxelCount: 0,
      axialSlice: -1,
      centroidVoxel: [Number.NaN, Number.NaN, Number.NaN],
    };
  }
  const pixels: Array<[number, number]> = [];
  for (let b = 0; b < ny; b++) {
    for (let a = 0; a < nx; a++) {
      if (region.mask[a + b * nx + bestSlice * nx * ny] !== 0) pixels.push([a, b]);
    }
  }
  const { longMm, shortMm } = axialAxes(pixels, sx, sy);
  return {
    longAxisMm: longMm,
    shortAxisMm: shortMm,
    meanDiameterMm: (longMm + shortMm) / 2,
    volumeMm3: count * sx * sy * sz,
    meanHu: huSum / count,
    voxelCount: count,
    axialSlice: oz + bestSlice,
    centroidVoxel: [ci / count, cj / count, ck / count],
  };
}

/** The part of a segmentation at or above a HU level, e.g. the solid component of a part-solid nodule. */
export function thresholdRegion(region: MaskRegion, volume: Volume, minHu: number): MaskRegion {
  const [nx, ny, nz] = region.size;
  const [ox, oy, oz] = region.origin;
  const [vx, vy] = volume.dims;
  const out = new Uint8Array(region.mask.length);
  for (let c = 0; c < nz; c++) {
    for (let b = 0; b < ny; b++) {
      for (let a = 0; a < nx; a++) {
        const m = a + b * nx + c * nx * ny;
        if (region.mask[m] === 0) continue;
        const hu = volume.hu[ox + a + (oy + b) * vx + (oz + c) * vx * vy] ?? -1024;
        if (hu >= minHu) out[m] = 1;
      }
    }
  }
  return { origin: region.origin, size: region.size, mask: out };
}
