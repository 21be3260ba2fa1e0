import type { Volume } from '../../common/volume';
import type { Thumbnail } from '../../shared/ipc-contract';

/**
 * A square grey preview of slice k in the lung window (-600/1500), box-averaged so thin vessels
 * do not alias away; the image keeps its aspect ratio inside the square.
 */
export function makeThumbnail(volume: Volume, k: number, size: number): Thumbnail {
  const [nx, ny] = volume.dims;
  const scale = Math.max(nx, ny) / size;
  const w = Math.max(1, Math.round(nx / scale));
  const h = Math.max(1, Math.round(ny / scale));
  const lo = -600 - 750;
  const gray = new Array<number>(size * size).fill(0);
  const ox = Math.floor((size - w) / 2);
  const oy = Math.floor((size - h) / 2);
  const base = k * nx * ny;
  for (let ty = 0; ty < h; ty++) {
    const y0 = Math.floor(ty * scale);
    const y1 = Math.max(y0 + 1, Math.floor((ty + 1) * scale));
    for (let tx = 0; tx < w; tx++) {
      const x0 = Math.floor(tx * scale);
      const x1 = Math.max(x0 + 1, Math.floor((tx + 1) * scale));
      let sum = 0;
      let n = 0;
      for (let y = y0; y < y1 && y < ny; y++) {
        for (let x = x0; x < x1 && x < nx; x++) {
          sum += volume.hu[base + x + y * nx] ?? -1024;
          n++;
        }
      }
      const v = n ? ((sum / n - lo) / 1500) * 255 : 0;
      gray[ox + tx + (oy + ty) * size] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  return { width: size, height: size, gray };
}
