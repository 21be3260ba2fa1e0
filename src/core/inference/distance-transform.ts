/**
 * The exact separable Euclidean distance transform (Felzenszwalb & Huttenlocher, "Distance
 * Transforms of Sampled Functions", 2012), one line at a time: the segmentation's distance maps
 * and the candidate re-centring both run it along rows, columns and pillars of a box.
 */

/** Scratch for lines of up to `n` samples, reused across lines so a box allocates once. */
export interface LineScratch {
  f: Float64Array;
  out: Float64Array;
  v: Int32Array;
  z: Float64Array;
}

export function lineScratch(n: number): LineScratch {
  return {
    f: new Float64Array(n),
    out: new Float64Array(n),
    v: new Int32Array(n),
    z: new Float64Array(n + 1),
  };
}

/**
 * s.out[q] = min over p of (spacing * (q - p))^2 + s.f[p], for q < n, over the samples p whose
 * s.f[p] is finite (the sources); Infinity on a line without one. The lower envelope of the
 * parabolas rooted at the sources, so linear in n.
 */
export function squaredDistanceLine(s: LineScratch, n: number, spacing: number): void {
  const { f, out, v, z } = s;
  const s2 = spacing * spacing;
  let k = -1;
  for (let q = 0; q < n; q++) {
    if (f[q] === Infinity) continue;
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -Infinity;
      z[1] = Infinity;
      continue;
    }
    let x: number;
    for (;;) {
      const p = v[k]!;
      x = (f[q]! + s2 * q * q - (f[p]! + s2 * p * p)) / (2 * s2 * (q - p));
      if (x <= z[k]! && k > 0) k--;
      else break;
    }
    k++;
    v[k] = q;
    z[k] = x;
    z[k + 1] = Infinity;
  }
  if (k < 0) {
    out.fill(Infinity, 0, n);
    return;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    while (z[k + 1]! < q) k++;
    const p = v[k]!;
    out[q] = s2 * (q - p) * (q - p) + f[p]!;
  }
}
