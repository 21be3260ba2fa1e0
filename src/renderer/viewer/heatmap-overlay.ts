/**
 * The nodule-probability heatmap fused over every viewport (axial stack, MPR, MIP): a canvas laid
 * over each viewport and redrawn from the heatmap volume whenever that viewport's camera moves.
 * Orthographic views map canvas pixels to world mm affinely, so three canvasToWorld calls give
 * the whole plane; a MIP shows the maximum over its slab, like the CT under it.
 */
import type { Types } from '@cornerstonejs/core';
import { worldToVoxel, type Vec3, type VolumeGeometry } from '../../common/volume';
import type { ViewportId } from '../store/viewer-store';

export interface OverlaySettings {
  visible: boolean;
  /** 0..1 */
  opacity: number;
  /** Probabilities below this are not drawn (0..1). */
  threshold: number;
}

export interface OverlayViewports {
  viewportIds(): ViewportId[];
  viewport(id: ViewportId): Types.IVolumeViewport | null;
  /** The stack position of volume slice k (the stack is shown head first). */
  stackIndexOf(k: number): number;
}

/**
 * The colour map of the overlay and its legend: black-red-yellow ("hot" without its white top: a
 * solid nodule is near white in the lung window, and the most certain heat drawn white on it
 * showed nothing; session 45).
 */
export function hotColour(p: number): [number, number, number] {
  const c = (v: number) => Math.round(255 * Math.min(1, Math.max(0, v)));
  return [c(2 * p), c(2 * p - 1), 0];
}

const LUT = Array.from({ length: 256 }, (_, v) => hotColour(v / 255));

const STEP = 2; // canvas pixels per overlay sample; smoothing hides the blocks

export class HeatmapOverlay {
  private canvases = new Map<HTMLElement, HTMLCanvasElement>();
  private signatures = new Map<HTMLElement, string>();
  private frame: number | null = null;
  private settings: OverlaySettings = { visible: true, opacity: 0.45, threshold: 0.2 };
  private slabMm = 0;
  private suppressed: { voxel: Vec3; r2: number }[] = [];
  private suppressedKey = '[]';

  constructor(
    private readonly views: OverlayViewports,
    private readonly grid: VolumeGeometry,
    private readonly data: Uint8Array,
  ) {
    const tick = () => {
      this.draw();
      this.frame = requestAnimationFrame(tick);
    };
    this.frame = requestAnimationFrame(tick);
  }

  /**
   * Regions whose heat is not drawn: around findings the reader rejected (their heat would
   * otherwise keep pointing at a dismissed mark).
   */
  suppress(regions: readonly { centerLps: Vec3; radiusMm: number }[]): void {
    const key = JSON.stringify(regions);
    if (key === this.suppressedKey) return;
    this.suppressedKey = key;
    this.suppressed = regions.map((r) => ({
      voxel: worldToVoxel(this.grid, r.centerLps),
      r2: r.radiusMm * r.radiusMm,
    }));
    this.signatures.clear();
  }

  private suppressedAt(i: number, j: number, k: number): boolean {
    const s = this.grid.spacingMm;
    for (const z of this.suppressed) {
      const di = (i - z.voxel[0]) * s[0];
      const dj = (j - z.voxel[1]) * s[1];
      const dk = (k - z.voxel[2]) * s[2];
      if (di * di + dj * dj + dk * dk <= z.r2) return true;
    }
    return false;
  }

  set(settings: OverlaySettings, slabMm: number): void {
    this.settings = settings;
    this.slabMm = slabMm;
    this.signatures.clear();
  }

  /** Probability (0..1) at a world point, nearest voxel; null outside the grid. */
  probabilityAt(w: Vec3): number | null {
    const [i, j, k] = worldToVoxel(this.grid, w).map(Math.round) as Vec3;
    const [nx, ny, nz] = this.grid.dims;
    if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz) return null;
    return (this.data[i + nx * (j + ny * k)] ?? 0) / 255;
  }

  private canvasFor(el: HTMLElement): HTMLCanvasElement {
    let c = this.canvases.get(el);
    if (c && c.isConnected) return c;
    c = document.createElement('canvas');
    c.className = 'heatmap-overlay';
    c.dataset.heatmapFor = el.dataset.viewportId ?? '';
    c.setAttribute('aria-hidden', 'true');
    // Over the image, under the text overlay, and transparent to the mouse (tools stay usable).
    c.style.position = 'absolute';
    c.style.pointerEvents = 'none';
    c.style.imageRendering = 'auto';
    el.insertAdjacentElement('afterend', c);
    this.canvases.set(el, c);
    return c;
  }

  private draw(): void {
    for (const id of this.views.viewportIds()) {
      const vp = this.views.viewport(id);
      const el = vp?.element as HTMLElement | undefined;
      if (!vp || !el) continue;
      const canvas = this.canvasFor(el);
      const w = el.clientWidth;
      const h = el.clientHeight;
      const cam = vp.getCamera();
      // The Cornerstone canvas is resized a moment after the element (ResizeObserver): its pixel
      // size and the element's offset are part of what the overlay depends on, or a resize that
      // re-centres the image leaves the heat where the image was.
      const cv = vp.canvas as HTMLCanvasElement | undefined;
      const sig = JSON.stringify([
        w,
        h,
        el.offsetLeft,
        el.offsetTop,
        cv?.width,
        cv?.height,
        cam.focalPoint,
        cam.parallelScale,
        cam.viewUp,
        cam.viewPlaneNormal,
        this.settings.visible,
      ]);
      if (this.signatures.get(el) === sig) continue;
      this.signatures.set(el, sig);
      canvas.style.left = `${el.offsetLeft}px`;
      canvas.style.top = `${el.offsetTop}px`;
      canvas.style.width = `${w}px`;
      canvas.style.height = `${h}px`;
      canvas.style.opacity = String(this.settings.opacity);
      canvas.hidden = !this.settings.visible;
      if (!this.settings.visible || w === 0 || h === 0) continue;
      this.render(vp, canvas, w, h);
    }
  }

  private render(vp: Types.IVolumeViewport, canvas: HTMLCanvasElement, w: number, h: number): void {
    const cw = Math.ceil(w / STEP);
    const ch = Math.ceil(h / STEP);
    canvas.width = cw;
    canvas.height = ch;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    const g = this.grid;
    const toV = (x: number, y: number) => worldToVoxel(g, vp.canvasToWorld([x, y]) as Vec3);
    const o = toV(0, 0);
    const ax = toV(STEP, 0).map((v, n) => v - o[n]!) as Vec3;
    const ay = toV(0, STEP).map((v, n) => v - o[n]!) as Vec3;
    const normal = (vp.getCamera().viewPlaneNormal ?? [0, 0, 1]) as Vec3;
    // MIP: sample the slab along the view normal, about one sample per voxel.
    const slab = vp.type === 'stack' ? 0 : this.slabMm;
    const nv = worldToVoxel({ ...g, originLps: [0, 0, 0] }, normal);
    const minSpacing = Math.min(...g.spacingMm);
    const samples = slab > minSpacing ? Math.ceil(slab / minSpacing) : 1;
    const offsets = Array.from({ length: samples }, (_, s) =>
      samples === 1 ? 0 : (s / (samples - 1) - 0.5) * slab,
    );
    const [nx, ny, nz] = g.dims;
    const img = ctx.createImageData(cw, ch);
    const px = img.data;
    const cut = Math.round(this.settings.threshold * 255);
    for (let y = 0; y < ch; y++) {
      for (let x = 0; x < cw; x++) {
        let best = 0;
        for (const t of offsets) {
          const i = Math.round(o[0] + x * ax[0] + y * ay[0] + t * nv[0]);
          const j = Math.round(o[1] + x * ax[1] + y * ay[1] + t * nv[1]);
          const k = Math.round(o[2] + x * ax[2] + y * ay[2] + t * nv[2]);
          if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz) continue;
          const v = this.data[i + nx * (j + ny * k)] ?? 0;
          if (v > best && !(this.suppressed.length && this.suppressedAt(i, j, k))) best = v;
        }
        if (best === 0 || best < cut) continue;
        const rgb = LUT[best]!;
        const p = 4 * (x + y * cw);
        px[p] = rgb[0];
        px[p + 1] = rgb[1];
        px[p + 2] = rgb[2];
        px[p + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
  }

  destroy(): void {
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    for (const c of this.canvases.values()) c.remove();
    this.canvases.clear();
  }
}

/** Centres every viewport on a world point: volume views move their camera, the stack its slice. */
export function centreViewportsOn(views: OverlayViewports, world: Vec3, sliceK: number): void {
  for (const id of views.viewportIds()) {
    const vp = views.viewport(id);
    if (!vp) continue;
    if (vp.type === 'stack') {
      const stack = vp as unknown as Types.IStackViewport;
      const n = stack.getImageIds().length;
      void stack.setImageIdIndex(views.stackIndexOf(Math.max(0, Math.min(n - 1, sliceK))));
    }
    const cam = vp.getCamera();
    const f = cam.focalPoint ?? [0, 0, 0];
    const p = cam.position ?? [0, 0, 1];
    const n = (cam.viewPlaneNormal ?? [0, 0, 1]) as Vec3;
    // Stack views keep their slice plane (set above); volume views move through the point.
    const along =
      vp.type === 'stack'
        ? (world[0] - f[0]) * n[0] + (world[1] - f[1]) * n[1] + (world[2] - f[2]) * n[2]
        : 0;
    const target: Vec3 = [world[0] - along * n[0], world[1] - along * n[1], world[2] - along * n[2]];
    const d: Vec3 = [p[0] - f[0], p[1] - f[1], p[2] - f[2]];
    vp.setCamera({ focalPoint: target, position: [target[0] + d[0], target[1] + d[1], target[2] + d[2]] });
    vp.render();
  }
}
