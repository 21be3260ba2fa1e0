import type { StoredPixels } from './codecs/codec-types';

export interface RescaleParams {
  slope: number;
  intercept: number;
  bitsStored: number;
  pixelRepresentation: 0 | 1;
  paddingValue: number | null;
  paddingRangeLimit: number | null;
}

/** HU written where the scanner marked padding (outside the reconstruction circle): air. */
export const PADDING_HU = -1024;

/**
 * Writes one frame of stored values as Int16 HU into `out` at `offset`: masks bits above
 * BitsStored (old files keep overlays there), sign-extends signed data, maps padding to air,
 * applies slope/intercept and clamps to the Int16 range.
 */
export function storedToHu(src: StoredPixels, p: RescaleParams, out: Int16Array, offset: number): void {
  const n = src.length;
  const bits = p.bitsStored;
  const signed = p.pixelRepresentation === 1;
  const shift = 32 - bits;
  const mask = bits >= 32 ? 0xffffffff : (1 << bits) - 1;
  let padLo = Infinity;
  let padHi = -Infinity;
  if (p.paddingValue !== null) {
    padLo = p.paddingRangeLimit === null ? p.paddingValue : Math.min(p.paddingValue, p.paddingRangeLimit);
    padHi = p.paddingRangeLimit === null ? p.paddingValue : Math.max(p.paddingValue, p.paddingRangeLimit);
  }
  const { slope, intercept } = p;
  const needsBitFix = bits < (src.BYTES_PER_ELEMENT === 1 ? 8 : 16);
  const identity = slope === 1 && Number.isInteger(intercept);
  for (let i = 0; i < n; i++) {
    let v = src[i]!;
    if (needsBitFix) v = signed ? ((v & mask) << shift) >> shift : v & mask;
    if (v >= padLo && v <= padHi) {
      out[offset + i] = PADDING_HU;
      continue;
    }
    const hu = identity ? v + intercept : Math.round(v * slope + intercept);
    out[offset + i] = hu < -32768 ? -32768 : hu > 32767 ? 32767 : hu;
  }
}
