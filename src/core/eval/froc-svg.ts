/** froc.svg: the plot model written out as SVG text (no renderer needed to make it). */
import type { PlotModel, Rgb } from './froc-plot';

const rgb = ([r, g, b]: Rgb): string => `rgb(${r},${g},${b})`;
const n = (v: number): string => String(Math.round(v * 100) / 100);
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function frocSvg(model: PlotModel): string {
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${model.width}" height="${model.height}" viewBox="0 0 ${model.width} ${model.height}" font-family="sans-serif" font-size="13">`,
    `<rect width="${model.width}" height="${model.height}" fill="white"/>`,
  ];
  for (const l of model.lines) {
    const pts = l.points.map(([x, y]) => `${n(x)},${n(y)}`).join(' ');
    const dash = l.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(
      `<polyline points="${pts}" fill="none" stroke="${rgb(l.color)}" stroke-width="${l.width}"${dash}/>`,
    );
  }
  for (const m of model.markers) {
    out.push(`<circle class="froc-point" cx="${n(m.x)}" cy="${n(m.y)}" r="4" fill="${rgb(m.color)}"/>`);
  }
  for (const t of model.texts) {
    const rotate = t.vertical ? ` transform="rotate(-90 ${n(t.x)} ${n(t.y)})"` : '';
    out.push(`<text x="${n(t.x)}" y="${n(t.y)}" text-anchor="${t.anchor}"${rotate}>${esc(t.text)}</text>`);
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
