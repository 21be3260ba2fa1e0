import { voxelToWorld, type Vec3, type VolumeGeometry } from '../../common/volume';
import { axisTable, gridFor, resampleSlab, type ResampleGrid } from './grid';
import { fovCutMm } from './fov-edge';
import { boxFilter, fillHolesAxial, labelComponents } from './morphology';

export interface LungMaskOptions {
  /** Air-like threshold; lung parenchyma is about -850 HU, soft tissue above -100. */
  airHu?: number;
  /** Closing radius (mm): fills the pleural dents of juxtapleural nodules up to about this radius. */
  closeMm?: number;
  /** Final dilation (mm), so nodules sitting on the pleura stay inside. */
  dilateMm?: number;
  /**
   * In-plane pixels of the grid outside the reconstructed field of view (outsideFieldOfView): the
   * image's edge, not air, so a lung that the reconstruction circle cuts does not join the air
   * outside the body through it.
   */
  edge?: Uint8Array;
}

export interface LungMask {
  /** Closed and dilated: where the detector looks. */
  mask: Uint8Array;
  /** Closed, not dilated (the lung up to the pleura): what a segmentation may fill. */
  core: Uint8Array;
  /** The lungs' own air voxels, before any filling or closing. */
  air: Uint8Array;
  /** False when no lung-like air was found and the mask is the whole grid. */
  found: boolean;
  voxels: number;
}

/** Largest enclosed region (axial area) the lung mask fills: a 45 mm disc. */
export const MAX_HOLE_MM2 = Math.PI * 22.5 * 22.5;

/**
 * Air outside the body reaches the image's in-plane border in every slice it fills; a lung that a
 * tight field of view cuts reaches it only where the lung is widest (LIDC-IDRI-0002 cut to 259 mm:
 * 33 of its 151 slices, to 232 mm: 107 of 151; session 28: any contact at all had dropped the lung,
 * and with no lung found the whole volume was searched: 19-25 findings instead of 5).
 */
export const OUTSIDE_SIDE_SHARE = 0.9;

/**
 * A classical lung mask from HU on a coarse grid: air below ~-400 HU, 6-connected components,
 * drop the air outside the body (it reaches the in-plane border of the image in at least
 * OUTSIDE_SIDE_SHARE of its slices), keep the large
 * remaining components (lungs, airways; small bowel gas is dropped), fill holes per axial slice
 * (vessels, nodules), close and dilate a little so juxtapleural nodules are inside.
 */
export function lungMaskFromHu(
  hu: Float32Array,
  dims: Vec3,
  spacingMm: Vec3,
  opts: LungMaskOptions = {},
): LungMask {
  const airHu = opts.airHu ?? -400;
  const air = new Uint8Array(hu.length);
  const edge = opts.edge;
  const plane = dims[0] * dims[1];
  for (let v = 0; v < hu.length; v++) air[v] = hu[v]! < airHu && edge?.[v % plane] !== 1 ? 1 : 0;
  const { labels, sizes, slices, sideSlices } = labelComponents(air, dims, edge);
  const outside = (id: number) => sideSlices[id]! >= OUTSIDE_SIDE_SHARE * slices[id]!;
  const voxelMl = (spacingMm[0] * spacingMm[1] * spacingMm[2]) / 1000;
  let largest = 0;
  for (let id = 1; id < sizes.length; id++) if (!outside(id)) largest = Math.max(largest, sizes[id]!);
  const minSize = Math.max(0.1 * largest, 5 / voxelMl);
  const keep = sizes.map((s, id) => id > 0 && !outside(id) && s >= minSize);
  let mask: Uint8Array = air;
  let voxels = 0;
  for (let v = 0; v < mask.length; v++) {
    const k = keep[labels[v]!] ? 1 : 0;
    mask[v] = k;
    voxels += k;
  }
  if (voxels === 0) {
    // No lung found (a phantom without a body, a cropped scan): search everywhere, say so.
    const all = new Uint8Array(hu.length).fill(1);
    return { mask: all, core: all, air: all, found: false, voxels: hu.length };
  }
  const lungAir = mask.slice();
  // Holes up to a 45 mm disc: a 30 mm nodule inside the lung is filled, the mediastinum is not.
  const maxHole = Math.round(MAX_HOLE_MM2 / (spacingMm[0] * spacingMm[1]));
  mask = fillHolesAxial(mask, dims, maxHole);
  const r = (mm: number): Vec3 => [
    Math.round(mm / spacingMm[0]),
    Math.round(mm / spacingMm[1]),
    Math.round(mm / spacingMm[2]),
  ];
  const close = r(opts.closeMm ?? 10);
  mask = boxFilter(boxFilter(mask, dims, close, false), dims, close, true);
  const core = fillHolesAxial(mask, dims, maxHole);
  mask = boxFilter(core, dims, r(opts.dilateMm ?? 4), false);
  voxels = 0;
  for (let v = 0; v < mask.length; v++) voxels += mask[v]!;
  return { mask, core, air: lungAir, found: true, voxels };
}

/**
 * World z (LPS, + is superior) of the lowest and highest lung slices, for the upper-lobe rule
 * (a nodule in the upper half of the lungs' height counts as upper lobe: a stand-in until lobes
 * are segmented). Slices with less than a tenth of the largest lung area are left out, so the
 * trachea running up into the neck does not stretch the lungs upwards.
 */
export function lungHeightRange(
  mask: Uint8Array,
  coarse: ResampleGrid,
  volume: VolumeGeometry,
): { lo: number; hi: number } {
  const [cx, cy, cz] = coarse.dims;
  const area = new Float64Array(cz);
  let maxArea = 0;
  for (let z = 0; z < cz; z++) {
    let a = 0;
    for (let v = z * cx * cy; v < (z + 1) * cx * cy; v++) a += mask[v]!;
    area[z] = a;
    maxArea = Math.max(maxArea, a);
  }
  let first = -1;
  let lastZ = -1;
  for (let z = 0; z < cz; z++) {
    if (maxArea > 0 && area[z]! >= 0.1 * maxArea) {
      if (first < 0) first = z;
      lastZ = z;
    }
  }
  if (first < 0) {
    first = 0;
    lastZ = cz - 1;
  }
  const mid: Vec3 = [(volume.dims[0] - 1) / 2, (volume.dims[1] - 1) / 2, 0];
  const za = voxelToWorld(volume, [mid[0], mid[1], first * coarse.step[2]])[2];
  const zb = voxelToWorld(volume, [mid[0], mid[1], lastZ * coarse.step[2]])[2];
  return { lo: Math.min(za, zb), hi: Math.max(za, zb) };
}

/**
 * The lung mask on its own grid at `spacingMm` (the pipeline uses twice the detector's spacing,
 * 1/8 of the model grid's voxels): resamples the HU volume and masks it.
 */
export function coarseLungMask(
  volume: Pick<VolumeGeometry, 'dims' | 'spacingMm'> & { hu: Int16Array },
  spacingMm: Vec3,
): {
  coarse: ResampleGrid;
  lung: LungMask;
  /** outsideFieldOfView of the volume, and its edge on the coarse grid. */
  outsideFov: Uint8Array | null;
  fovEdge: Uint8Array | null;
  fovCut: Vec3[];
} {
  const coarse = gridFor(volume, spacingMm);
  const hu = resampleSlab(
    volume.hu,
    volume.dims,
    coarse,
    0,
    coarse.dims[2],
    new Float32Array(coarse.dims[0] * coarse.dims[1] * coarse.dims[2]),
  );
  const outside = outsideFieldOfView(volume);
  const edge = outside ? fovEdgeOnGrid(outside, volume.dims, coarse) : undefined;
  const lung = lungMaskFromHu(hu, coarse.dims, spacingMm, edge ? { edge } : {});
  // Where the field of view cuts the lung (fov-edge.ts), in volume mm.
  const fovCut = lung.found ? fovCutMm(lung, hu, coarse, edge ?? null, volume.spacingMm) : [];
  return { coarse, lung, outsideFov: outside, fovEdge: edge ?? null, fovCut };
}

/** Fewest slices for outsideFieldOfView to tell a constant padding from air. */
const FOV_MIN_SLICES = 10;

/**
 * In-plane pixels outside the reconstructed field of view: the same value, at most -1000 HU, in
 * every slice. Scanners fill the region outside the reconstruction circle with one padding value
 * (the loader reads marked padding as -1024 HU); air has noise and never repeats through a whole
 * series. Null when no pixel qualifies or the series is too short to tell.
 */
export function outsideFieldOfView(
  volume: Pick<VolumeGeometry, 'dims'> & { hu: Int16Array },
): Uint8Array | null {
  const [nx, ny, nz] = volume.dims;
  if (nz < FOV_MIN_SLICES) return null;
  const plane = nx * ny;
  const out = new Uint8Array(plane);
  let any = false;
  for (let p = 0; p < plane; p++) {
    const v = volume.hu[p]!;
    if (v > -1000) continue;
    let k = 1;
    while (k < nz && volume.hu[k * plane + p] === v) k++;
    if (k === nz) {
      out[p] = 1;
      any = true;
    }
  }
  return any ? out : null;
}

/** Grid pixels whose trilinear source (grid.ts axisTable) touches a pixel of `outside`. */
export function fovEdgeOnGrid(outside: Uint8Array, dims: Vec3, grid: ResampleGrid): Uint8Array {
  const [nx, ny] = dims;
  const [gx, gy] = grid.dims;
  const tx = axisTable(gx, grid.step[0], nx);
  const ty = axisTable(gy, grid.step[1], ny);
  const edge = new Uint8Array(gx * gy);
  for (let j = 0; j < gy; j++)
    for (let i = 0; i < gx; i++) {
      const xs = [tx.lo[i]!, tx.hi[i]!];
      const ys = [ty.lo[j]!, ty.hi[j]!];
      if (ys.some((y) => xs.some((x) => outside[y * nx + x] === 1))) edge[j * gx + i] = 1;
    }
  return edge;
}

/**
 * Whether volume voxel (i, j, k) lies in the lung core (closed, not dilated) of a coarse mask:
 * the nearest coarse voxel decides. What a segmentation may fill.
 */
export function inLungCore(
  coarse: ResampleGrid,
  lung: Pick<LungMask, 'core'>,
): (i: number, j: number, k: number) => boolean {
  const [cx, cy] = coarse.dims;
  return (i, j, k) =>
    lung.core[
      nearestCoarse(coarse, 0, i) + nearestCoarse(coarse, 1, j) * cx + nearestCoarse(coarse, 2, k) * cx * cy
    ] === 1;
}

/** The coarse voxel nearest to volume index `n` along axis `a` (0 = x). */
export function nearestCoarse(coarse: ResampleGrid, a: 0 | 1 | 2, n: number): number {
  return Math.min(coarse.dims[a] - 1, Math.round(n / coarse.step[a]));
}
