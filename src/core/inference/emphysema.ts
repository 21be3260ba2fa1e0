/**
 * Emphysema as the LAA-950 index: the percentage of lung voxels below -950 HU on inspiratory CT
 * (Gevenois et al., AJRCCM 1996; the COPDGene convention). Counted at full resolution inside the
 * lung mask the detector uses (its core: the lung up to the pleura, vessels filled in).
 *
 * The Brock model's emphysema input is prefilled from it at LAA-950 >= 5 %, the cut-off COPDGene
 * uses for CT emphysema (Lynch et al., Radiology 2015); the reader confirms or changes it.
 */
import type { EmphysemaIndex } from '../../common/findings/findings-document';
import type { Vec3, Volume } from '../../common/volume';
import { gridFor, resampleSlab } from './grid';
import { fovEdgeOnGrid, lungMaskFromHu, outsideFieldOfView } from './lung-mask';

export const LAA_THRESHOLD_HU = -950;
/** LAA-950 at or above this percentage prefills "emphysema: yes" for the Brock model. */
export const EMPHYSEMA_CUTOFF_PERCENT = 5;

/** LAA-950 of a volume, with the lung mask computed on a ~2.5 mm grid as the detector does. */
export function measureEmphysema(
  volume: Pick<Volume, 'hu' | 'dims' | 'spacingMm'>,
  /** outsideFov: the volume's outsideFieldOfView when the caller has it already. */
  opts: { maskSpacingMm?: number; thresholdHu?: number; outsideFov?: Uint8Array | null } = {},
): EmphysemaIndex {
  const thresholdHu = opts.thresholdHu ?? LAA_THRESHOLD_HU;
  const s = opts.maskSpacingMm ?? 2.5;
  const spacing: Vec3 = [s, s, Math.max(s, volume.spacingMm[2])];
  const grid = gridFor(volume, spacing);
  const coarse = resampleSlab(
    volume.hu,
    volume.dims,
    grid,
    0,
    grid.dims[2],
    new Float32Array(grid.dims[0] * grid.dims[1] * grid.dims[2]),
  );
  // The field of view's edge as the detector's lung mask sees it (lung-mask.ts coarseLungMask).
  const outside = opts.outsideFov !== undefined ? opts.outsideFov : outsideFieldOfView(volume);
  const edge = outside ? fovEdgeOnGrid(outside, volume.dims, grid) : undefined;
  const lung = lungMaskFromHu(coarse, grid.dims, spacing, edge ? { edge } : {});
  const [nx, ny, nz] = volume.dims;
  const [gx, gy] = grid.dims;
  let inLung = 0;
  let low = 0;
  for (let k = 0; k < nz; k++) {
    const ck = Math.min(grid.dims[2] - 1, Math.round(k / grid.step[2]));
    for (let j = 0; j < ny; j++) {
      const cj = Math.min(gy - 1, Math.round(j / grid.step[1]));
      const row = (k * ny + j) * nx;
      const crow = (ck * gy + cj) * gx;
      for (let i = 0; i < nx; i++) {
        const ci = Math.min(gx - 1, Math.round(i / grid.step[0]));
        if (!lung.core[crow + ci]) continue;
        inLung++;
        if (volume.hu[row + i]! < thresholdHu) low++;
      }
    }
  }
  const laaPercent = inLung > 0 ? Math.round((1000 * low) / inLung) / 10 : 0;
  return {
    laaPercent,
    thresholdHu,
    cutoffPercent: EMPHYSEMA_CUTOFF_PERCENT,
    suggested: lung.found && laaPercent >= EMPHYSEMA_CUTOFF_PERCENT,
    lungVoxels: inLung,
    lungFound: lung.found,
  };
}
