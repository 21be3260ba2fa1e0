/**
 * Key images of a finding for the report: the axial slice through the finding centre in the lung
 * window (level -600, width 1500), cropped around the nodule, with a circle marker, once plain and
 * once with the detector heatmap fused over it. Rendered here to RGBA and PNG so the report does
 * not depend on a browser or on Cornerstone.
 */
import { PNG } from 'pngjs';
import type { Finding } from '../../common/findings/findings-document';
import type { Heatmap } from '../inference/pipeline';
import type { Volume } from '../../common/volume';

export const LUNG_WINDOW = { level: -600, width: 1500 } as const;

export interface KeyImageOptions {
  /** Output edge in pixels (square). */
  sizePx?: number;
  /** Field of view edge in mm; default max(60 mm, 4 x the diameter). */
  fieldMm?: number;
  /** Heatmap probability below which nothing is drawn. */
  heatThreshold?: number;
}

export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface KeyImages {
  sliceIndex: number;
  plain: RgbaImage;
  overlay: RgbaImage;
}

/** Blue -> cyan -> yellow -> red, the usual probability scale (p in 0..1). */
export function heatColour(p: number): [number, number, number] {
  const t = Math.min(1, Math.max(0, p));
  const seg = (a: number, b: number, x: number) => Math.round(a + (b - a) * x);
  if (t < 1 / 3) return [0, seg(0, 255, t * 3), 255];
  if (t < 2 / 3) return [seg(0, 255, (t - 1 / 3) * 3), 255, seg(255, 0, (t - 1 / 3) * 3)];
  return [255, seg(255, 0, (t - 2 / 3) * 3), 0];
}

function windowed(hu: number): number {
  const lo = LUNG_WINDOW.level - LUNG_WINDOW.width / 2;
  const v = ((hu - lo) / LUNG_WINDOW.width) * 255;
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}

export function renderKeyImages(
  volume: Volume,
  heatmap: Heatmap | null,
  finding: Finding,
  opts: KeyImageOptions = {},
): KeyImages {
  const [nx, ny, nz] = volume.dims;
  const [sx, sy] = volume.spacingMm;
  const size = opts.sizePx ?? 256;
  const field = opts.fieldMm ?? Math.max(60, 4 * finding.diameterMm);
  const threshold = opts.heatThreshold ?? 0.1;
  const k = Math.min(nz - 1, Math.max(0, Math.round(finding.centerVoxel[2])));
  const ci = finding.centerVoxel[0];
  const cj = finding.centerVoxel[1];
  const mmPerPx = field / size;
  const plain = new Uint8Array(size * size * 4);
  const overlay = new Uint8Array(size * size * 4);
  const plane = nx * ny;
  const heatOk = heatmap !== null && heatmap.data.length === volume.hu.length;
  for (let y = 0; y < size; y++) {
    // Row y of the picture runs down the image rows (j), column x along the image columns (i).
    const j = Math.round(cj + ((y + 0.5) * mmPerPx - field / 2) / sy);
    for (let x = 0; x < size; x++) {
      const i = Math.round(ci + ((x + 0.5) * mmPerPx - field / 2) / sx);
      const o = (y * size + x) * 4;
      let g = 0;
      let p = 0;
      if (i >= 0 && i < nx && j >= 0 && j < ny) {
        const idx = k * plane + j * nx + i;
        g = windowed(volume.hu[idx]!);
        if (heatOk) p = heatmap.data[idx]! / 255;
      }
      plain[o] = plain[o + 1] = plain[o + 2] = g;
      plain[o + 3] = 255;
      if (p >= threshold) {
        const [r, gg, b] = heatColour(p);
        const a = 0.25 + 0.5 * p;
        overlay[o] = Math.round(g * (1 - a) + r * a);
        overlay[o + 1] = Math.round(g * (1 - a) + gg * a);
        overlay[o + 2] = Math.round(g * (1 - a) + b * a);
      } else {
        overlay[o] = overlay[o + 1] = overlay[o + 2] = g;
      }
      overlay[o + 3] = 255;
    }
  }
  // Circle marker a little outside the nodule so it never hides the margin.
  const radiusPx = (Math.max(finding.diameterMm, 3) / 2 + 3) / mmPerPx;
  const centre = size / 2;
  for (const img of [plain, overlay]) drawRing(img, size, centre, centre, radiusPx, 2, [255, 214, 0]);
  return {
    sliceIndex: k,
    plain: { width: size, height: size, data: plain },
    overlay: { width: size, height: size, data: overlay },
  };
}

function drawRing(
  img: Uint8Array,
  size: number,
  cx: number,
  cy: number,
  r: number,
  thickness: number,
  rgb: [number, number, number],
): void {
  const lo = Math.max(0, Math.floor(cy - r - thickness));
  const hi = Math.min(size - 1, Math.ceil(cy + r + thickness));
  for (let y = lo; y <= hi; y++) {
    for (
      let x = Math.max(0, Math.floor(cx - r - thickness));
      x <= Math.min(size - 1, Math.ceil(cx + r + thickness));
      x++
    ) {
      const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
      if (Math.abs(d - r) <= thickness / 2) {
        const o = (y * size + x) * 4;
        img[o] = rgb[0];
        img[o + 1] = rgb[1];
        img[o + 2] = rgb[2];
      }
    }
  }
}

export function encodePng(img: RgbaImage): Uint8Array {
  const png = new PNG({ width: img.width, height: img.height });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return new Uint8Array(PNG.sync.write(png));
}
