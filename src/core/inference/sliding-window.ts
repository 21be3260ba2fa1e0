/** Tile placement and Gaussian blending for sliding-window inference (nnU-Net style). */

/** Tile starts along one axis: every `stride`, the last one flush with the end; one tile if it fits. */
export function tileStarts(length: number, patch: number, stride: number): number[] {
  if (length <= patch) return [0];
  const starts: number[] = [];
  for (let s = 0; s + patch < length; s += stride) starts.push(s);
  starts.push(length - patch);
  return [...new Set(starts)];
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
