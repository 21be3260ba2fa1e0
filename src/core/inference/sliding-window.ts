/** Tile placement and Gaussian blending for sliding-window inference (nnU-Net style). */

/**
 * Tiles covering [lo, hi) of an axis of `length` voxels: as few as fit in `maxTile` with
 * neighbours sharing `overlap` voxels, all of one size (a multiple of `multiple`, at most
 * `maxTile`), spread evenly. A tile reaches past the axis' end only when the axis is shorter than
 * the tile (the caller pads it).
 */
export function spanTiles(
  lo: number,
  hi: number,
  length: number,
  maxTile: number,
  overlap: number,
  multiple: number,
): { size: number; starts: number[] } {
  if (!(
    multiple >= 1 &&
    maxTile >= multiple &&
    maxTile % multiple === 0 &&
    overlap >= 0 &&
    overlap < maxTile
  )) {
    throw new RangeError(`tile ${maxTile} (multiple of ${multiple}) with overlap ${overlap} cannot tile`);
  }
  const span = Math.max(1, Math.min(length, hi) - Math.max(0, lo));
  const from = Math.max(0, lo);
  const k = span <= maxTile ? 1 : Math.ceil((span - overlap) / (maxTile - overlap));
  const size = Math.min(maxTile, Math.ceil((span + (k - 1) * overlap) / k / multiple) * multiple);
  const last = Math.max(0, length - size);
  const clamp = (s: number) => Math.min(last, Math.max(0, s));
  if (k === 1) return { size, starts: [clamp(from - Math.floor((size - span) / 2))] };
  const starts = Array.from({ length: k }, (_, i) => clamp(from + Math.round((i * (span - size)) / (k - 1))));
  return { size, starts: [...new Set(starts)] };
}

/** 1D Gaussian importance weights over a patch, sigma = patch/8, floored so edges still count a little. */
export function gaussianWeights(patch: number, sigmaFraction = 1 / 8): Float32Array {
  const w = new Float32Array(patch);
  const c = (patch - 1) / 2;
  const s = Math.max(patch * sigmaFraction, 1e-6);
  for (let i = 0; i < patch; i++) w[i] = Math.max(Math.exp(-((i - c) ** 2) / (2 * s * s)), 1e-3);
  return w;
}

/**
 * Sum of the weights of every tile covering each position along one axis. The 3D weight is the
 * product of three 1D Gaussians and the tiles form a product grid, so the 3D normaliser is the
 * product of these three sums: no full-size weight volume is needed.
 */
export function coverage(length: number, starts: number[], weights: Float32Array): Float64Array {
  const sum = new Float64Array(length);
  for (const s of starts) {
    for (let i = 0; i < weights.length; i++) {
      const p = s + i;
      if (p < length) sum[p]! += weights[i]!;
    }
  }
  return sum;
}
