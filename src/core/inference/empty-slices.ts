/**
 * Slices with no image (missing from the series, or a file that would not decode) read -1024 HU
 * in the loaded volume: the viewer shows the gap as it is. The analysis must not see a slab of air
 * through the chest: it opens the lungs to the air outside the body, the lung mask finds no lung
 * and the whole volume is searched (LIDC-IDRI-0002 with one slice taken out listed 18 findings
 * instead of its 5; session 28). So the analysis fills each empty slice from the nearest slices
 * with an image on either side, linearly along the slice axis, and says so.
 */
import { PulmoLensError } from '../../common/errors';
import type { Volume } from '../../common/volume';

export const EMPTY_SLICES_WARNING =
  'slices with no image in the series were filled from their neighbours for the analysis';

/** A copy of `volume` with the slices `empty` (indices along k) interpolated between their neighbours. */
export function fillEmptySlices(volume: Volume, empty: readonly number[]): Volume {
  const [nx, ny, nz] = volume.dims;
  const isEmpty = new Uint8Array(nz);
  for (const k of empty) {
    if (!Number.isInteger(k) || k < 0 || k >= nz) {
      throw new PulmoLensError('INVALID_INPUT', `empty slice ${k} is not a slice of this ${nz}-slice volume`);
    }
    isEmpty[k] = 1;
  }
  if (isEmpty.every((e) => e === 1)) {
    throw new PulmoLensError('INVALID_INPUT', 'every slice of the volume is empty: nothing to analyse');
  }
  const plane = nx * ny;
  const hu = Int16Array.from(volume.hu);
  for (let k = 0; k < nz; k++) {
    if (!isEmpty[k]) continue;
    let lo = k - 1;
    while (lo >= 0 && isEmpty[lo]) lo--;
    let hi = k + 1;
    while (hi < nz && isEmpty[hi]) hi++;
    const out = hu.subarray(k * plane, (k + 1) * plane);
    if (lo < 0 || hi >= nz) {
      const from = lo < 0 ? hi : lo;
      out.set(volume.hu.subarray(from * plane, (from + 1) * plane));
      continue;
    }
    const w = (k - lo) / (hi - lo);
    const a = volume.hu.subarray(lo * plane, (lo + 1) * plane);
    const b = volume.hu.subarray(hi * plane, (hi + 1) * plane);
    for (let v = 0; v < plane; v++) out[v] = Math.round(a[v]! + w * (b[v]! - a[v]!));
  }
  return { ...volume, hu };
}

/** The warning for `count` filled slices, at most `run` of them in a row, `sliceMm` apart. */
export function emptySlicesWarning(count: number, run: number, sliceMm: number): string {
  return (
    `${EMPTY_SLICES_WARNING} (${count} slice(s), at most ${run} in a row: ${(run * sliceMm).toFixed(1)} mm): ` +
    'findings near them are less certain'
  );
}

/** Length (in slices) of the longest run of consecutive indices in `empty`. */
export function longestRun(empty: readonly number[]): number {
  const sorted = [...empty].sort((a, b) => a - b);
  let best = 0;
  let run = 0;
  for (let n = 0; n < sorted.length; n++) {
    run = n > 0 && sorted[n] === sorted[n - 1]! + 1 ? run + 1 : 1;
    best = Math.max(best, run);
  }
  return best;
}
