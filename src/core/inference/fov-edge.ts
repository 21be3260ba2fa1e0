/**
 * Where the reconstruction circle or the image's side cuts the lungs (a field of view smaller than
 * the chest), the image ends right beside aerated lung: the blob filter, the U-Net and the
 * characterizer all read that artificial edge as structure (LIDC-IDRI-0002 with a 280 mm circle
 * listed 4 findings on it, with a 260 mm circle 12; session 28). Candidates that close to such a
 * cut are not analysed, and the analysis says so. A field of view that only cuts the chest wall
 * changes nothing.
 */
import type { Vec3 } from '../../common/volume';
import type { ResampleGrid } from './grid';

/** Candidates closer than this to where the field of view cuts the lung are dropped: a 1 mm cube's half edge. */
export const FOV_EDGE_MM = 16;

export const FOV_EDGE_WARNING = 'the reconstructed field of view cuts the lungs';

/** Lung closer than this (in-plane) to the field of view's edge counts as cut: what chest wall is left there is too thin to trust. */
export const FOV_CUT_MM = 10;

/** Above this a coarse voxel is body (or table), not air. */
const BODY_HU = -400;

/**
 * Where the field of view cuts the lung: lung-core voxels of the coarse grid within FOV_CUT_MM
 * (in-plane, same slice) of a pixel where the image's side or the padding outside the
 * reconstruction circle (`edge`, lung-mask.ts coarseLungMask) meets body or the lungs' own air rather
 * than the air around the patient. In volume mm; empty when there are none (a body inside the image, however
 * near its side, is not cut: nothing is dropped).
 */
export function fovCutMm(
  lung: { core: Uint8Array; air: Uint8Array },
  hu: Float32Array,
  grid: ResampleGrid,
  edge: Uint8Array | null,
  spacingMm: Readonly<Vec3>,
): Vec3[] {
  const [gx, gy, gz] = grid.dims;
  const plane = gx * gy;
  const px: [number, number] = [grid.step[0] * spacingMm[0], grid.step[1] * spacingMm[1]];
  // Pixels on the field of view's boundary: the image's side, or beside the padding.
  const boundary = new Uint8Array(plane);
  for (let j = 0; j < gy; j++)
    for (let i = 0; i < gx; i++) {
      const p = j * gx + i;
      if (edge?.[p] === 1) continue;
      const side = i === 0 || j === 0 || i === gx - 1 || j === gy - 1;
      const padded =
        edge !== null && (edge[p - 1] === 1 || edge[p + 1] === 1 || edge[p - gx] === 1 || edge[p + gx] === 1);
      if (side || padded) boundary[p] = 1;
    }
  // Per slice, the boundary pixels that hold body or lung; then the lung core within FOV_CUT_MM of
  // them, found by looking around each (few pixels touch: the table, or the cut itself).
  const out: Vec3[] = [];
  const rx = Math.ceil(FOV_CUT_MM / px[0]);
  const ry = Math.ceil(FOV_CUT_MM / px[1]);
  const taken = new Int32Array(plane).fill(-1);
  for (let k = 0; k < gz; k++) {
    const o = k * plane;
    for (let p = 0; p < plane; p++) {
      if (boundary[p] !== 1 || (hu[o + p]! < BODY_HU && lung.air[o + p] !== 1)) continue;
      const ci = p % gx;
      const cj = (p - ci) / gx;
      for (let j = Math.max(0, cj - ry); j <= Math.min(gy - 1, cj + ry); j++)
        for (let i = Math.max(0, ci - rx); i <= Math.min(gx - 1, ci + rx); i++) {
          const q = j * gx + i;
          if (taken[q] === k || lung.core[o + q] !== 1) continue;
          if (((i - ci) * px[0]) ** 2 + ((j - cj) * px[1]) ** 2 > FOV_CUT_MM * FOV_CUT_MM) continue;
          taken[q] = k;
          out.push([i * px[0], j * px[1], k * grid.step[2] * spacingMm[2]]);
        }
    }
  }
  return out;
}

/** Whether a volume voxel (continuous) lies within FOV_EDGE_MM of any point of the cut. */
export function nearFovCut(
  cutMm: readonly Vec3[],
  centre: Readonly<Vec3>,
  spacingMm: Readonly<Vec3>,
): boolean {
  const x = centre[0] * spacingMm[0];
  const y = centre[1] * spacingMm[1];
  const z = centre[2] * spacingMm[2];
  const r2 = FOV_EDGE_MM * FOV_EDGE_MM;
  return cutMm.some((c) => (c[0] - x) ** 2 + (c[1] - y) ** 2 + (c[2] - z) ** 2 < r2);
}

/** The warning when `dropped` candidates lay within FOV_EDGE_MM of the cut. */
export function fovEdgeWarning(dropped: number): string {
  return `${FOV_EDGE_WARNING}: ${dropped} candidate(s) within ${FOV_EDGE_MM} mm of the cut were not analysed (nodules there are missed)`;
}

/**
 * A series that ends inside the lungs (a scan of the lower chest, an upper-abdomen or neck scan, a
 * reconstruction of part of the range): vessels end at its first or last slice as if cut off, and
 * read as nodules there. Session 29: LIDC-IDRI-0002 cut to its middle 40% listed 6 false
 * positives, three within 10 mm of where it ended. An end counts as cut when its slice holds at
 * least this share of the largest slice's lung (the trachea leaving a whole scan's top is less).
 */
export const SERIES_END_CUT_SHARE = 0.1;

export const SERIES_END_WARNING = 'the series ends inside the lungs';

/**
 * The lung-core voxels of the coarse grid's first and last slices where the series ends inside
 * the lungs (SERIES_END_CUT_SHARE), in volume mm, at the volume's own first and last slice.
 */
export function seriesEndCutMm(
  core: Uint8Array,
  grid: ResampleGrid,
  spacingMm: Readonly<Vec3>,
  slices: number,
): Vec3[] {
  const [gx, gy, gz] = grid.dims;
  const plane = gx * gy;
  const area = (k: number) => {
    let a = 0;
    for (let p = k * plane; p < (k + 1) * plane; p++) a += core[p]!;
    return a;
  };
  let largest = 0;
  for (let k = 0; k < gz; k++) largest = Math.max(largest, area(k));
  if (largest === 0) return [];
  const out: Vec3[] = [];
  const ends: [number, number][] = [
    [0, 0],
    [gz - 1, (slices - 1) * spacingMm[2]],
  ];
  for (const [k, zMm] of gz > 1 ? ends : ends.slice(0, 1)) {
    if (area(k) < SERIES_END_CUT_SHARE * largest) continue;
    for (let p = 0; p < plane; p++) {
      if (core[k * plane + p] !== 1) continue;
      const i = p % gx;
      const j = (p - i) / gx;
      out.push([i * grid.step[0] * spacingMm[0], j * grid.step[1] * spacingMm[1], zMm]);
    }
  }
  return out;
}

/** The warning when `dropped` candidates lay within FOV_EDGE_MM of a series end inside the lungs. */
export function seriesEndWarning(dropped: number): string {
  return `${SERIES_END_WARNING} (it does not cover them whole): ${dropped} candidate(s) within ${FOV_EDGE_MM} mm of its first or last slice were not analysed (nodules there are missed)`;
}
