/**
 * froc.png: the plot model rasterised in plain TypeScript (lines stamped with round pens, markers as
 * discs, text in a 5x7 bitmap font), encoded by pngjs. No browser or canvas is needed.
 */
import { PNG } from 'pngjs';
import { GLYPH_ADVANCE, GLYPH_HEIGHT, glyph } from './bitmap-font';
import type { PlotModel, Rgb } from './froc-plot';

const TEXT_SCALE = 2;
const TEXT_COLOR: Rgb = [20, 20, 20];

class Raster {
  readonly png: PNG;
  constructor(width: number, height: number) {
    this.png = new PNG({ width, height });
    this.png.data.fill(255);
  }

  set(x: number, y: number, c: Rgb): void {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= this.png.width || yi >= this.png.height) return;
    const o = (yi * this.png.width + xi) * 4;
    this.png.data[o] = c[0];
    this.png.data[o + 1] = c[1];
    this.png.data[o + 2] = c[2];
    this.png.data[o + 3] = 255;
  }

  disc(cx: number, cy: number, r: number, c: Rgb): void {
    for (let y = Math.floor(cy - r); y <= Math.ceil(cy + r); y++) {
      for (let x = Math.floor(cx - r); x <= Math.ceil(cx + r); x++) {
        if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r + 0.25) this.set(x, y, c);
      }
    }
  }

  /** A polyline stamped every half pixel; dashes follow the arc length (6 on, 4 off, as in the SVG). */
  polyline(points: [number, number][], width: number, c: Rgb, dashed: boolean): void {
    const r = Math.max(0.5, width / 2 - 0.25);
    let travelled = 0;
    for (let i = 1; i < points.length; i++) {
      const [x0, y0] = points[i - 1] as [number, number];
      const [x1, y1] = points[i] as [number, number];
      const len = Math.hypot(x1 - x0, y1 - y0);
      const steps = Math.max(1, Math.ceil(len * 2));
      for (let s = 0; s <= steps; s++) {
        const t = s / steps;
        if (!dashed || (travelled + t * len) % 10 < 6) {
          const x = x0 + (x1 - x0) * t;
          const y = y0 + (y1 - y0) * t;
          if (width <= 1) this.set(x, y, c);
          else this.disc(x, y, r, c);
        }
      }
      travelled += len;
    }
  }

  text(x: number, y: number, s: string, anchor: 'start' | 'middle' | 'end', vertical: boolean): void {
    const length = s.length * GLYPH_ADVANCE * TEXT_SCALE;
    const shift = anchor === 'start' ? 0 : anchor === 'middle' ? length / 2 : length;
    [...s].forEach((ch, k) => {
      glyph(ch).forEach((row, gy) =>
        row.forEach((on, gx) => {
          if (!on) return;
          for (let dy = 0; dy < TEXT_SCALE; dy++) {
            for (let dx = 0; dx < TEXT_SCALE; dx++) {
              // u runs along the text, v down the glyph; the baseline is at y.
              const u = k * GLYPH_ADVANCE * TEXT_SCALE + gx * TEXT_SCALE + dx - shift;
              const v = (gy - GLYPH_HEIGHT) * TEXT_SCALE + dy;
              if (vertical) this.set(x + v, y - u, TEXT_COLOR);
              else this.set(x + u, y + v, TEXT_COLOR);
            }
          }
        }),
      );
    });
  }
}

export function frocPng(model: PlotModel): Buffer {
  const r = new Raster(model.width, model.height);
  for (const l of model.lines) r.polyline(l.points, l.width, l.color, l.dashed);
  for (const m of model.markers) r.disc(m.x, m.y, 4, m.color);
  for (const t of model.texts) r.text(t.x, t.y, t.text, t.anchor, t.vertical);
  return PNG.sync.write(r.png);
}
