/**
 * Numbered CAD marks: a circle and the finding's list number on every viewport whose plane cuts
 * the finding (axial stack, MPR planes, MIP slab), the selected one drawn so it stands out. An SVG
 * layer over each viewport, redrawn on every camera or size change of that viewport.
 */
import type { Types } from '@cornerstonejs/core';
import type { Vec3 } from '../../common/volume';
import type { ViewportId } from '../store/viewer-store';

export interface CadMark {
  id: string;
  /** The number the findings list shows for it. */
  number: number;
  centerLps: Vec3;
  /** Half the long axis. */
  radiusMm: number;
  selected: boolean;
}

export interface MarkViewports {
  viewportIds(): ViewportId[];
  viewport(id: ViewportId): Types.IVolumeViewport | null;
}

const SVG = 'http://www.w3.org/2000/svg';

/** Whether the viewport's plane (or MIP slab) passes through the mark's sphere. */
export function planeCutsMark(
  focal: readonly number[],
  normal: readonly number[],
  mark: Pick<CadMark, 'centerLps' | 'radiusMm'>,
  halfSlabMm: number,
): boolean {
  const c = mark.centerLps;
  const d =
    (c[0] - focal[0]!) * normal[0]! + (c[1] - focal[1]!) * normal[1]! + (c[2] - focal[2]!) * normal[2]!;
  return Math.abs(d) <= Math.max(mark.radiusMm, 0.5) + halfSlabMm;
}

export class CadMarks {
  private layers = new Map<HTMLElement, SVGSVGElement>();
  private signatures = new Map<HTMLElement, string>();
  private marks: CadMark[] = [];
  private version = 0;
  private slabMm = 0;
  private frame: number | null = null;

  constructor(private readonly views: MarkViewports) {
    // Checked every frame but redrawn only when a viewport's camera, size or the marks changed:
    // a resize that re-centres the image moves the marks with it in the same frame.
    const tick = () => {
      this.draw();
      this.frame = requestAnimationFrame(tick);
    };
    this.frame = requestAnimationFrame(tick);
  }

  set(marks: CadMark[], slabMm: number): void {
    this.marks = marks;
    this.slabMm = slabMm;
    this.version++;
  }

  private layerFor(el: HTMLElement): SVGSVGElement {
    let svg = this.layers.get(el);
    if (svg && svg.isConnected) return svg;
    svg = document.createElementNS(SVG, 'svg');
    svg.classList.add('cad-marks');
    svg.dataset.cadMarksFor = el.dataset.viewportId ?? '';
    svg.setAttribute('aria-hidden', 'true');
    svg.style.position = 'absolute';
    svg.style.pointerEvents = 'none';
    svg.style.overflow = 'hidden';
    el.insertAdjacentElement('afterend', svg);
    this.layers.set(el, svg);
    return svg;
  }

  private draw(): void {
    for (const id of this.views.viewportIds()) {
      const vp = this.views.viewport(id);
      const el = vp?.element as HTMLElement | undefined;
      if (!vp || !el) continue;
      const svg = this.layerFor(el);
      const cam = vp.getCamera();
      const canvas = vp.canvas as HTMLCanvasElement | undefined;
      const sig = JSON.stringify([
        el.offsetLeft,
        el.offsetTop,
        el.clientWidth,
        el.clientHeight,
        canvas?.width,
        canvas?.height,
        cam.focalPoint,
        cam.parallelScale,
        cam.viewUp,
        cam.viewPlaneNormal,
        this.version,
      ]);
      if (this.signatures.get(el) === sig) continue;
      this.signatures.set(el, sig);
      this.render(vp, el, svg);
    }
  }

  private render(vp: Types.IVolumeViewport, el: HTMLElement, svg: SVGSVGElement): void {
    const w = el.clientWidth;
    const h = el.clientHeight;
    svg.style.left = `${el.offsetLeft}px`;
    svg.style.top = `${el.offsetTop}px`;
    svg.setAttribute('width', String(w));
    svg.setAttribute('height', String(h));
    svg.replaceChildren();
    const cam = vp.getCamera();
    const focal = cam.focalPoint ?? [0, 0, 0];
    const normal = cam.viewPlaneNormal ?? [0, 0, 1];
    const mmPerPx = ((cam.parallelScale ?? 1) * 2) / Math.max(1, h);
    const halfSlab = vp.type === 'stack' ? 0 : this.slabMm / 2;
    // The selected mark last, so it is drawn on top of any neighbour.
    const order = [...this.marks].sort((a, b) => Number(a.selected) - Number(b.selected));
    for (const m of order) {
      if (!planeCutsMark(focal, normal, m, halfSlab)) continue;
      const [x, y] = vp.worldToCanvas(m.centerLps as Types.Point3);
      if (!Number.isFinite(x) || !Number.isFinite(y) || x < -40 || y < -40 || x > w + 40 || y > h + 40)
        continue;
      const r = Math.max(9, m.radiusMm / mmPerPx + 6);
      const colour = m.selected ? '#ffd400' : '#33d6ff';
      const g = document.createElementNS(SVG, 'g');
      g.dataset.cadMark = m.id;
      g.dataset.markNumber = String(m.number);
      g.dataset.x = x.toFixed(1);
      g.dataset.y = y.toFixed(1);
      if (m.selected) g.dataset.selected = 'true';
      const circle = document.createElementNS(SVG, 'circle');
      circle.setAttribute('cx', x.toFixed(1));
      circle.setAttribute('cy', y.toFixed(1));
      circle.setAttribute('r', r.toFixed(1));
      circle.setAttribute('fill', 'none');
      circle.setAttribute('stroke', colour);
      circle.setAttribute('stroke-width', m.selected ? '3' : '1.5');
      if (!m.selected) circle.setAttribute('stroke-dasharray', '5 3');
      const label = document.createElementNS(SVG, 'text');
      label.setAttribute('x', (x + r * 0.75 + 3).toFixed(1));
      label.setAttribute('y', (y - r * 0.75 - 3).toFixed(1));
      label.setAttribute('fill', colour);
      label.setAttribute('font-size', m.selected ? '16' : '13');
      label.setAttribute('font-weight', m.selected ? '700' : '600');
      label.setAttribute('paint-order', 'stroke');
      label.setAttribute('stroke', '#000');
      label.setAttribute('stroke-width', '3');
      label.textContent = String(m.number);
      g.append(circle, label);
      svg.append(g);
    }
  }

  destroy(): void {
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    for (const s of this.layers.values()) s.remove();
    this.layers.clear();
  }
}
