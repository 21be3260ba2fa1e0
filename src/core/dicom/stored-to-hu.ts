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

export interface FrameStats {
  min: number;
  max: number;
  sum: number;
}

/**
 * Stored values are at most 16 bits, so the whole modality transform (mask bits above BitsStored,
 * sign extension, padding -> air, slope/intercept, Int16 clamp) fits in a 65,536-entry table
 * indexed by the raw bit pattern. The per-voxel loop is then one load and one store.
 */
function buildHuLut(p: RescaleParams, bitsAllocated: 8 | 16): Int16Array {
  const size = bitsAllocated === 8 ? 256 : 65536;
  const lut = new Int16Array(size);
  const bits = Math.min(p.bitsStored, bitsAllocated);
  const mask = (1 << bits) - 1;
  const shift = 32 - bits;
  const signedAllocated = (raw: number) => (bitsAllocated === 8 ? (raw << 24) >> 24 : (raw << 16) >> 16);
  let padLo = Infinity;
  let padHi = -Infinity;
  if (p.paddingValue !== null) {
    padLo = p.paddingRangeLimit === null ? p.paddingValue : Math.min(p.paddingValue, p.paddingRangeLimit);
    padHi = p.paddingRangeLimit === null ? p.paddingValue : Math.max(p.paddingValue, p.paddingRangeLimit);
  }
  for (let raw = 0; raw < size; raw++) {
    const fullWidth = p.pixelRepresentation === 1 ? signedAllocated(raw) : raw;
    const v = p.pixelRepresentation === 1 ? ((raw & mask) << shift) >> shift : raw & mask;
    // Padding is compared against the value as stored in the full allocated width.
    const isPad = (fullWidth >= padLo && fullWidth <= padHi) || (v >= padLo && v <= padHi);
    const hu = isPad ? PADDING_HU : Math.round(v * p.slope + p.intercept);
    lut[raw] = hu < -32768 ? -32768 : hu > 32767 ? 32767 : hu;
  }
  return lut;
}

const lutCache = new Map<string, Int16Array>();

function cachedLut(p: RescaleParams, bitsAllocated: 8 | 16): Int16Array {
  const key = `${bitsAllocated}|${p.bitsStored}|${p.pixelRepresentation}|${p.slope}|${p.intercept}|${p.paddingValue}|${p.paddingRangeLimit}`;
  let lut = lutCache.get(key);
  if (!lut) {
    if (lutCache.size > 64) lutCache.clear();
    lut = buildHuLut(p, bitsAllocated);
    lutCache.set(key, lut);
  }
  return lut;
}

/**
 * Counts raw stored values per lookup table over a whole series, so HU min/max/mean come from a
 * 65,536-entry pass at the end instead of per-voxel branches in the hot loop.
 */
export class HuHistogram {
  private readonly counts = new Map<Int16Array, Uint32Array>();

  countsFor(lut: Int16Array): Uint32Array {
    let c = this.counts.get(lut);
    if (!c) {
      c = new Uint32Array(lut.length);
      this.counts.set(lut, c);
    }
    return c;
  }

  stats(): FrameStats & { count: number } {
    let min = 32767;
    let max = -32768;
    let sum = 0;
    let count = 0;
    for (const [lut, counts] of this.counts) {
      for (let r = 0; r < counts.length; r++) {
        const c = counts[r]!;
        if (c === 0) continue;
        const hu = lut[r]!;
        if (hu < min) min = hu;
        if (hu > max) max = hu;
        sum += c * hu;
        count += c;
      }
    }
    return { min, max, sum, count };
  }
}

/** Writes one frame of stored values as Int16 HU into `out` at `offset`, counting into `hist`. */
export function storedToHu(
  src: StoredPixels,
  p: RescaleParams,
  out: Int16Array,
  offset: number,
  hist: HuHistogram = new HuHistogram(),
): void {
  const bitsAllocated = src.BYTES_PER_ELEMENT === 1 ? 8 : 16;
  const lut = cachedLut(p, bitsAllocated);
  const raw =
    bitsAllocated === 8
      ? new Uint8Array(src.buffer, src.byteOffset, src.length)
      : new Uint16Array(src.buffer, src.byteOffset, src.length);
  const counts = hist.countsFor(lut);
  const n = raw.length;
  if (
    bitsAllocated === 16 &&
    n % 2 === 0 &&
    raw.byteOffset % 4 === 0 &&
    (out.byteOffset + offset * 2) % 4 === 0
  ) {
    lut16Pairs(raw as Uint16Array, lut, out, offset, counts);
    return;
  }
  for (let i = 0; i < n; i++) {
    const r = raw[i]!;
    out[offset + i] = lut[r]!;
    counts[r]!++;
  }
}

/**
 * Takes back what `storedToHu` counted for these stored values (the same values and parameters):
 * for a frame whose source failed after part of it was converted.
 */
export function uncountStored(src: StoredPixels, p: RescaleParams, hist: HuHistogram): void {
  const eightBit = src.BYTES_PER_ELEMENT === 1;
  const counts = hist.countsFor(cachedLut(p, eightBit ? 8 : 16));
  // Counted by bit pattern, as storedToHu reads them.
  const raw = eightBit
    ? new Uint8Array(src.buffer, src.byteOffset, src.length)
    : new Uint16Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < raw.length; i++) counts[raw[i]!]!--;
}

/**
 * The 16-bit hot loop, two voxels per 32-bit load and store: about twice as fast as one voxel at a
 * time (measured: 130 vs 240-290 ms for the 68 M voxels of LIDC-IDRI-0002). Little-endian host
 * assumed, as on every platform Node and Electron ship for.
 */
function lut16Pairs(
  raw: Uint16Array,
  lut: Int16Array,
  out: Int16Array,
  offset: number,
  counts: Uint32Array,
): void {
  const pairs = raw.length >> 1;
  const in32 = new Uint32Array(raw.buffer, raw.byteOffset, pairs);
  const out32 = new Int32Array(out.buffer, out.byteOffset + offset * 2, pairs);
  for (let i = 0; i < pairs; i++) {
    const r = in32[i]!;
    const lo = r & 0xffff;
    const hi = r >>> 16;
    out32[i] = (lut[lo]! & 0xffff) | (lut[hi]! << 16);
    counts[lo]!++;
    counts[hi]!++;
  }
}
