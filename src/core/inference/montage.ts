import { PNG } from 'pngjs';
import type { Volume } from '../../common/volume';
import type { Heatmap } from './pipeline';

/** The axial slices with the most heat (sum of probability), at least `gap` slices apart. */
export function hottestSlices(h: Heatmap, count: number, gap = 3): number[] {
  const [nx, ny, nz] = h.dims;
  const plane = nx * ny;
  const sums: Array<[number, number]> = [];
  for (let k = 0; k < nz; k++) {
    let s = 0;
    for (let v = k * plane; v < (k + 1) * plane; v++) s += h.data[v]!;
    if (s > 0) sums.push([k, s]);
  }
  sums.sort((a, b) => b[1] - a[1]);
  const chosen: number[] = [];
  for (const [k] of sums) {
    if (chosen.length >= count) break;
    if (chosen.every((c) => Math.abs(c - k) >= gap)) chosen.push(k);
  }
  return chosen.sort((a, b) => a - b);
}

/**
 * A PNG of the hottest axial slices side by side: CT in a lung window (W 1500, L -600) with the
 * probability blended on top in red to yellow. Falls back to evenly spaced slices when nothing
 * is hot, so the montage always shows the scan.
 */
export function heatmapMontage(
  volume: Volume,
  h: Heatmap,
  opts: { slices?: number; columns?: number } = {},
): Buffer {
  const [nx, ny, nz] = volume.dims;
  const want = opts.slices ?? 6;
  let ks = hottestSlices(h, want);
  if (ks.length === 0)
    ks = Array.from({ length: Math.min(want, nz) }, (_, i) => Math.floor(((i + 0.5) * nz) / want));
  const cols = Math.min(opts.columns ?? 3, ks.length);
  const rows = Math.ceil(ks.length / cols);
  const png = new PNG({ width: nx * cols, height: ny * rows });
  png.data.fill(0);
  const lo = -600 - 750;
  const plane = nx * ny;
  ks.forEach((k, t) => {
    const ox = (t % cols) * nx;
    const oy = Math.floor(t / cols) * ny;
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const v = k * plane + j * nx + i;
        const g = Math.min(255, Math.max(0, ((volume.hu[v]! - lo) / 1500) * 255));
        const p = h.data[v]! / 255;
        const a = Math.min(1, p * 1.2);
        const o = ((oy + j) * png.width + ox + i) * 4;
        png.data[o] = Math.round(g * (1 - a) + 255 * a);
        png.data[o + 1] = Math.round(g * (1 - a) + 255 * p * p * a);
        png.data[o + 2] = Math.round(g * (1 - a));
        png.data[o + 3] = 255;
      }
    }
  });
  return PNG.sync.write(png);
}
