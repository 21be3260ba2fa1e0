/**
 * The Cornerstone3D side of the workspace: one rendering engine, up to three orthographic views of
 * one local HU volume, one tool group. React owns the DOM and the stores; this class owns every
 * Cornerstone object and reports what the viewports show back into the viewer store.
 */
import {
  cache,
  Enums,
  eventTarget,
  getRenderingEngine,
  imageLoader,
  init as initCore,
  metaData,
  RenderingEngine,
  setVolumesForViewports,
  utilities as csUtils,
  volumeLoader,
  type Types,
} from '@cornerstonejs/core';
import * as cst from '@cornerstonejs/tools';
import type { LoadedSeriesInfo } from '../../shared/ipc-contract';
import type { Layout, Measurement, PrimaryTool, ViewerStore, ViewportId } from '../store/viewer-store';
import {
  annotationFromMeasurement,
  isMeasurementTool,
  measurementFromAnnotation,
  uidsToDelete,
  type AnnotationLike,
} from './measurement-annotation';
import { edgeMarkers } from './orientation';
import { presetById, rangeToWindow, windowToRange, type WindowPreset } from './presets';
import { voxelToWorld, worldToVoxel, type Vec3 } from '../../common/volume';
import { huAt, localVolumeInput } from './volume-input';
import { LayoutListenerScope } from './layout-listeners';

const ENGINE_ID = 'pulmolens-engine';
const IMAGE_SCHEME = 'pulmolens';
const TOOL_GROUP_ID = 'pulmolens-tools';
const { MouseBindings } = cst.Enums;

const orientationOf: Record<ViewportId, Enums.OrientationAxis> = {
  axial: Enums.OrientationAxis.AXIAL,
  coronal: Enums.OrientationAxis.CORONAL,
  sagittal: Enums.OrientationAxis.SAGITTAL,
  mip: Enums.OrientationAxis.AXIAL,
};

export const viewportsFor = (layout: Layout): ViewportId[] =>
  layout === 'axial'
    ? ['axial']
    : layout === 'mpr'
      ? ['axial', 'coronal', 'sagittal']
      : ['axial', 'coronal', 'sagittal', 'mip'];

const toolNames: Record<PrimaryTool, string> = {
  WindowLevel: cst.WindowLevelTool.toolName,
  Pan: cst.PanTool.toolName,
  Zoom: cst.ZoomTool.toolName,
  StackScroll: cst.StackScrollTool.toolName,
  Length: cst.LengthTool.toolName,
  Bidirectional: cst.BidirectionalTool.toolName,
  Probe: cst.ProbeTool.toolName,
  EllipticalROI: cst.EllipticalROITool.toolName,
  CircleROI: cst.CircleROITool.toolName,
  Crosshairs: cst.CrosshairsTool.toolName,
};

let initialised: Promise<void> | null = null;

interface RgbTransferFunction {
  getSize(): number;
  getNodeValue(i: number, out: number[]): void;
}

/** Per-slice metadata of the current volume's images, by imageId and module name. */
const sliceMetadata = new Map<string, Record<string, unknown>>();

/** The single axial view is a stack of 2D images (cheap to scroll); MPR and MIP need the volume. */
export const isStackView = (id: ViewportId, layout: Layout, mip: boolean): boolean =>
  id === 'axial' && layout === 'axial' && !mip;

/** Cornerstone's global init, once per page. */
export function initCornerstone(): Promise<void> {
  initialised ??= (async () => {
    initCore();
    cst.init();
    // Local volumes hold their slices in the image cache already; Cornerstone still asks a loader
    // for the middle slice to guess a default window, so the loader just answers from the cache.
    imageLoader.registerImageLoader(IMAGE_SCHEME, (imageId: string) => ({
      promise: Promise.resolve(cache.getImage(imageId) as Types.IImage),
    }));
    // Cornerstone gives every slice of a local volume the volume's origin; the stack view and the
    // per-slice measurements need each slice's real position, so answer those queries first.
    metaData.addProvider((type: string, imageId: string) => sliceMetadata.get(imageId)?.[type], 10_000);
    for (const Tool of [
      cst.WindowLevelTool,
      cst.PanTool,
      cst.ZoomTool,
      cst.StackScrollTool,
      cst.LengthTool,
      cst.BidirectionalTool,
      cst.ProbeTool,
      cst.EllipticalROITool,
      cst.CircleROITool,
      cst.CrosshairsTool,
    ]) {
      cst.addTool(Tool);
    }
  })();
  return initialised;
}

export class ViewerEngine {
  private engine: RenderingEngine;
  private toolGroup: cst.Types.IToolGroup;
  private volumeId: string | null = null;
  private imageIds: string[] = [];
  private hu: Int16Array | null = null;
  private busy = 0;
  private info: LoadedSeriesInfo | null = null;
  private loads = 0;
  private elements = new Map<ViewportId, HTMLDivElement>();
  private layout: Layout = 'axial';
  private cineTimer: ReturnType<typeof setInterval> | null = null;
  private disposers: (() => void)[] = [];
  /** The current layout's element listeners (removed when the next layout is built). */
  private readonly layoutListeners = new LayoutListenerScope();
  /** Frames drawn so far over all viewports; tests wait until it stops moving (no fixed sleeps). */
  private frames = 0;
  /** Measurements the reader deleted (annotation UIDs are never reused): late tool events must not revive them. */
  private readonly deleted = new Set<string>();
  /** Performance probe for the benchmark: called after each rendered frame of a viewport. */
  onRendered: ((viewportId: ViewportId) => void) | null = null;

  constructor(private readonly store: ViewerStore) {
    getRenderingEngine(ENGINE_ID)?.destroy();
    this.engine = new RenderingEngine(ENGINE_ID);
    cst.ToolGroupManager.destroyToolGroup(TOOL_GROUP_ID);
    const group = cst.ToolGroupManager.createToolGroup(TOOL_GROUP_ID);
    if (!group) throw new Error('could not create the Cornerstone tool group');
    this.toolGroup = group;
    for (const name of Object.values(toolNames)) {
      if (name === cst.CrosshairsTool.toolName) {
        group.addTool(name, {
          getReferenceLineColor: (id: string) =>
            ({ axial: 'rgb(255, 200, 60)', coronal: 'rgb(80, 200, 255)', sagittal: 'rgb(120, 230, 120)' })[
              id
            ] ?? 'rgb(200, 200, 200)',
          getReferenceLineControllable: () => true,
          getReferenceLineDraggableRotatable: () => true,
          getReferenceLineSlabThicknessControlsOn: () => false,
        });
      } else if (name === cst.ProbeTool.toolName) {
        // Cornerstone's probe reads a stale slice of a local stack after a layout switch (and
        // leaves a fresh probe unlabelled); label it from the core's HU volume, as the list does.
        group.addTool(name, {
          getTextLines: (data: { handles?: { points?: Types.Point3[] } }) => {
            const v = this.probeHu(data.handles?.points?.[0] ?? null);
            return v === null ? undefined : [`${v} HU`];
          },
        });
      } else {
        group.addTool(name);
      }
    }
    this.bindTools(store.getState().tool);

    const onAnnotation = (evt: Event) => this.readAnnotation((evt as CustomEvent).detail?.annotation);
    const onRemoved = (evt: Event) => {
      const uid = (evt as CustomEvent).detail?.annotation?.annotationUID as string | undefined;
      if (uid) this.store.getState().removeMeasurement(uid);
      // Cornerstone keeps a removed annotation selected: drop it, or the next Delete aims at nothing.
      if (uid && cst.annotation.selection.isAnnotationSelected(uid))
        cst.annotation.selection.deselectAnnotation(uid);
    };
    const E = cst.Enums.Events;
    for (const ev of [E.ANNOTATION_COMPLETED, E.ANNOTATION_MODIFIED]) {
      eventTarget.addEventListener(ev, onAnnotation);
      this.disposers.push(() => eventTarget.removeEventListener(ev, onAnnotation));
    }
    eventTarget.addEventListener(E.ANNOTATION_REMOVED, onRemoved);
    this.disposers.push(() => eventTarget.removeEventListener(E.ANNOTATION_REMOVED, onRemoved));
  }

  /** Mouse bindings: the chosen primary tool on the left button, zoom right, pan middle, wheel scroll. */
  bindTools(primary: PrimaryTool): void {
    const g = this.toolGroup;
    const scroll = toolNames.StackScroll;
    // Crosshairs link exactly three orthogonal views (a second axial view confuses them).
    if (primary === 'Crosshairs' && this.layout !== 'mpr') primary = 'WindowLevel';
    for (const name of Object.values(toolNames)) {
      // Crosshairs complain with fewer than three linked views; keep them off unless chosen.
      if (name === toolNames.Crosshairs && primary !== 'Crosshairs') g.setToolDisabled(name);
      else g.setToolPassive(name, { removeAllBindings: true });
    }
    const left = toolNames[primary];
    const bindings: Record<string, { mouseButton: number }[]> = {};
    const bind = (tool: string, mouseButton: number) => (bindings[tool] ??= []).push({ mouseButton });
    bind(left, MouseBindings.Primary);
    if (primary !== 'Zoom') bind(toolNames.Zoom, MouseBindings.Secondary);
    if (primary !== 'Pan') bind(toolNames.Pan, MouseBindings.Auxiliary);
    bind(scroll, MouseBindings.Wheel);
    for (const [tool, b] of Object.entries(bindings)) g.setToolActive(tool, { bindings: b });
  }

  /** (Re)creates the viewports for a layout on the given elements and shows the volume in them. */
  async setLayout(layout: Layout, elements: Map<ViewportId, HTMLDivElement>): Promise<void> {
    this.busy++;
    try {
      await this.buildLayout(layout, elements);
    } finally {
      this.busy--;
    }
  }

  /** Whether the given series is the one on screen. */
  shows(key: string): boolean {
    return this.info?.key === key;
  }

  /** Frames rendered so far (all viewports). */
  frameCount(): number {
    return this.frames;
  }

  /** True while viewports are being (re)built; tests and the bench wait for it. */
  isBusy(): boolean {
    return this.busy > 0;
  }

  private async buildLayout(layout: Layout, elements: Map<ViewportId, HTMLDivElement>): Promise<void> {
    const keepK = this.info && this.viewport('axial') ? this.axialK() : null;
    for (const id of this.engine.getViewports().map((v) => v.id)) {
      this.toolGroup.removeViewports(ENGINE_ID, id);
    }
    this.layout = layout;
    this.elements = elements;
    const on = this.layoutListeners.renew();
    const mip = this.store.getState().mip;
    const ids = viewportsFor(layout).filter((id) => elements.has(id));
    this.engine.setViewports(
      ids.map((id) => ({
        viewportId: id,
        type: isStackView(id, layout, mip) ? Enums.ViewportType.STACK : Enums.ViewportType.ORTHOGRAPHIC,
        element: elements.get(id) as HTMLDivElement,
        defaultOptions: { orientation: orientationOf[id], background: [0, 0, 0] as Types.Point3 },
      })),
    );
    for (const id of ids) {
      this.toolGroup.addViewport(id, ENGINE_ID);
      const el = elements.get(id) as HTMLDivElement;
      const update = () => {
        this.keepGreyscaleUpright(id);
        this.report(id);
      };
      const rendered = () => {
        this.frames++;
        this.onRendered?.(id);
      };
      for (const ev of [
        Enums.Events.CAMERA_MODIFIED,
        Enums.Events.VOI_MODIFIED,
        Enums.Events.STACK_NEW_IMAGE,
      ]) {
        on(el, ev, update);
      }
      // Some tools (the probe) compute their statistics only while drawing, after COMPLETED.
      const annotationsDrawn = () => {
        for (const a of cst.annotation.state.getAllAnnotations()) this.readAnnotation(a);
      };
      on(el, cst.Enums.Events.ANNOTATION_RENDERED, annotationsDrawn);
      on(el, Enums.Events.IMAGE_RENDERED, rendered);
    }
    this.bindTools(this.store.getState().tool);
    if (this.volumeId) {
      await this.showVolume(keepK);
    }
  }

  /**
   * Cornerstone 5's stack view can come up with its grey ramp reversed (white air) while its
   * `invert` flag says false; CT is MONOCHROME2 here, so put the ramp back the right way.
   */
  private keepGreyscaleUpright(id: ViewportId): void {
    if (!this.isStack(id)) return;
    const vp = this.engine.getViewport(id) as Types.IStackViewport;
    const actor = vp.getDefaultActor()?.actor as
      { getProperty(): { getRGBTransferFunction(i: number): RgbTransferFunction | null } } | undefined;
    const tf = actor?.getProperty().getRGBTransferFunction(0);
    if (!tf || tf.getSize() < 2 || vp.getProperties().invert) return;
    const first: number[] = [];
    const last: number[] = [];
    tf.getNodeValue(0, first);
    tf.getNodeValue(tf.getSize() - 1, last);
    if ((first[1] ?? 0) > (last[1] ?? 0)) {
      csUtils.invertRgbTransferFunction(tf as never);
      vp.render();
    }
  }

  /** Rebuilds the views when MIP changes in the single layout (stack <-> volume view). */
  async setMip(on: boolean, slabMm: number): Promise<void> {
    const wantStack = isStackView('axial', this.layout, on);
    const haveStack = this.viewport('axial') !== null && this.isStack('axial');
    if (this.volumeId && wantStack !== haveStack) await this.setLayout(this.layout, this.elements);
    else this.applyMip(on, slabMm);
  }

  private isStack(id: ViewportId): boolean {
    return this.engine.getViewport(id)?.type === Enums.ViewportType.STACK;
  }

  /** The axial view's position as a slice index k of the volume (DICOM sorted order). */
  axialK(): number {
    const vp = this.engine.getViewport('axial');
    if (!vp || !this.info) return 0;
    const f = vp.getCamera().focalPoint ?? [0, 0, 0];
    return Math.round(worldToVoxel(this.info.geometry, f as Vec3)[2]);
  }

  /** Puts a freshly loaded HU volume into Cornerstone's cache and on screen. */
  async setVolume(info: LoadedSeriesInfo, pixels: ArrayBuffer, kept: Measurement[] = []): Promise<void> {
    this.busy++;
    try {
      await this.putVolume(info, pixels, kept);
    } finally {
      this.busy--;
    }
  }

  private async putVolume(info: LoadedSeriesInfo, pixels: ArrayBuffer, kept: Measurement[]): Promise<void> {
    const input = localVolumeInput(info, ++this.loads);
    if (this.volumeId) cache.removeVolumeLoadObject(this.volumeId);
    cst.annotation.state.removeAllAnnotations();
    // After the removal above (which empties the list): these are redrawn once the views exist.
    this.store.getState().setMeasurements(kept);
    const volume = volumeLoader.createLocalVolume(input.volumeId, {
      metadata: input.metadata,
      dimensions: input.dimensions,
      spacing: input.spacing,
      origin: input.origin,
      direction: input.direction,
      scalarData: (this.hu = new Int16Array(pixels)),
    });
    // A local volume's GPU texture starts empty: flag every slice for upload.
    volume.invalidate();
    this.volumeId = input.volumeId;
    this.info = info;
    this.imageIds = volume.imageIds;
    sliceMetadata.clear();
    const g = info.geometry;
    volume.imageIds.forEach((imageId, k) => {
      const pos = voxelToWorld(info.geometry, [0, 0, k]);
      sliceMetadata.set(imageId, {
        imagePlaneModule: {
          frameOfReferenceUID: input.metadata.FrameOfReferenceUID,
          rows: g.dims[1],
          columns: g.dims[0],
          imageOrientationPatient: g.direction.slice(0, 6),
          rowCosines: g.direction.slice(0, 3),
          columnCosines: g.direction.slice(3, 6),
          imagePositionPatient: pos,
          pixelSpacing: [g.spacingMm[1], g.spacingMm[0]],
          rowPixelSpacing: g.spacingMm[1],
          columnPixelSpacing: g.spacingMm[0],
          sliceThickness: info.metadata.sliceThicknessMm ?? g.spacingMm[2],
          sliceLocation: pos[2],
        },
        generalSeriesModule: {
          modality: input.metadata.Modality,
          seriesInstanceUID: input.metadata.SeriesInstanceUID,
        },
        generalImageModule: { instanceNumber: k + 1 },
      });
    });
    await this.showVolume(Math.floor(g.dims[2] / 2));
  }

  private async showVolume(axialK: number | null): Promise<void> {
    if (!this.volumeId || !this.info) return;
    const ids = this.viewportIds();
    const stackIds = ids.filter((id) => this.isStack(id));
    const volumeIds = ids.filter((id) => !this.isStack(id));
    const nz = this.info.geometry.dims[2];
    const k = Math.max(0, Math.min(nz - 1, axialK ?? Math.floor(nz / 2)));
    for (const id of stackIds) {
      await (this.engine.getViewport(id) as Types.IStackViewport).setStack(
        this.headFirst() ? [...this.imageIds].reverse() : this.imageIds,
        this.stackIndexOf(k),
      );
    }
    if (volumeIds.length) await setVolumesForViewports(this.engine, [{ volumeId: this.volumeId }], volumeIds);
    const s = this.store.getState();
    this.applyWindow(s.typedWindow ?? presetById(s.preset ?? 'lung'));
    this.applyMip(s.mip, s.slabMm);
    this.restoreAnnotations();
    for (const id of volumeIds) this.viewport(id)?.resetCamera();
    if (axialK !== null && volumeIds.includes('axial')) this.moveAxialTo(k);
    for (const id of stackIds) this.keepGreyscaleUpright(id);
    this.engine.renderViewports(ids);
    for (const id of ids) this.report(id);
  }

  /**
   * Whether slice k grows toward the head (the usual axial normal). The stack is then shown head
   * first, as a PACS does: image 0 at the top, and "down" (wheel, arrow, Page Down) goes to the feet
   * in the stack as in the volume views, whose axial normal points feetward.
   */
  private headFirst(): boolean {
    return (this.info?.geometry.direction[8] ?? 0) > 0;
  }

  /** The stack position of volume slice k. */
  stackIndexOf(k: number): number {
    const nz = this.info?.geometry.dims[2] ?? 0;
    return this.headFirst() ? nz - 1 - k : k;
  }

  /** Home / End: the first or the last image as the reader counts them (head end first). */
  async jumpToEnd(id: ViewportId, end: 'first' | 'last'): Promise<void> {
    if (id !== 'axial' || !this.info) {
      await this.jumpTo(id, end === 'first' ? 0 : this.sliceCount(id) - 1);
      return;
    }
    const nz = this.info.geometry.dims[2];
    const top = this.headFirst() ? nz - 1 : 0;
    await this.showAxialSlice(end === 'first' ? top : nz - 1 - top);
  }

  /** Shows volume slice k in the axial view, stack or volume. */
  async showAxialSlice(k: number): Promise<void> {
    const vp = this.viewport('axial');
    if (!vp || !this.info) return;
    const kk = Math.max(0, Math.min(this.info.geometry.dims[2] - 1, Math.round(k)));
    if (this.isStack('axial')) {
      await (vp as unknown as Types.IStackViewport).setImageIdIndex(this.stackIndexOf(kk));
    } else {
      this.moveAxialTo(kk);
      vp.render();
    }
  }

  /** Moves a volume axial view to slice k by shifting its camera along the slice direction. */
  private moveAxialTo(k: number): void {
    const vp = this.viewport('axial');
    if (!vp || !this.info) return;
    const delta = (k - this.axialK()) * this.info.geometry.spacingMm[2];
    const d = this.info.geometry.direction;
    const cam = vp.getCamera();
    const shift = (p: Types.Point3 | undefined): Types.Point3 | undefined =>
      p ? [p[0] + delta * d[6], p[1] + delta * d[7], p[2] + delta * d[8]] : p;
    vp.setCamera({ focalPoint: shift(cam.focalPoint), position: shift(cam.position) });
  }

  viewportIds(): ViewportId[] {
    return this.engine.getViewports().map((v) => v.id as ViewportId);
  }

  /** A viewport (stack or volume); volume-only methods are guarded by isStack(). */
  viewport(id: ViewportId): Types.IVolumeViewport | null {
    return (this.engine.getViewport(id) as Types.IVolumeViewport | undefined) ?? null;
  }

  applyWindow(p: Pick<WindowPreset, 'center' | 'width'>): void {
    const invert = this.store.getState().invert;
    for (const id of this.viewportIds()) {
      this.viewport(id)?.setProperties({ voiRange: windowToRange(p.center, p.width), invert });
      this.keepGreyscaleUpright(id);
    }
    this.engine.renderViewports(this.viewportIds());
  }

  /** Inverts the grey scale of every view (OHIF's I), keeping each view's window. */
  applyInvert(invert: boolean): void {
    for (const id of this.viewportIds()) {
      const vp = this.viewport(id);
      if (!vp) continue;
      vp.setProperties({ invert });
      this.keepGreyscaleUpright(id);
    }
    this.engine.renderViewports(this.viewportIds());
  }

  applyMip(on: boolean, slabMm: number): void {
    for (const id of this.viewportIds()) {
      const vp = this.viewport(id);
      if (!vp || this.isStack(id)) continue;
      // The 2×2 layout's fourth view is always the axial MIP slab.
      if (on || id === 'mip') {
        vp.setBlendMode(Enums.BlendModes.MAXIMUM_INTENSITY_BLEND);
        vp.setSlabThickness(slabMm);
      } else {
        vp.setBlendMode(Enums.BlendModes.COMPOSITE);
        vp.resetSlabThickness();
      }
    }
    this.engine.renderViewports(this.viewportIds());
  }

  scroll(id: ViewportId, delta: number): void {
    const vp = this.viewport(id);
    if (!vp) return;
    csUtils.scroll(vp as unknown as Parameters<typeof csUtils.scroll>[0], { delta });
  }

  async jumpTo(id: ViewportId, index: number): Promise<void> {
    const vp = this.viewport(id);
    if (!vp) return;
    const n = vp.getNumberOfSlices();
    await csUtils.jumpToSlice(vp.element, { imageIndex: Math.max(0, Math.min(n - 1, index)) });
  }

  /** Axial: the volume slice k (DICOM sorted order) in every layout; others: Cornerstone's index. */
  sliceIndex(id: ViewportId): number {
    if (id === 'axial' && this.info && this.viewport(id)) return this.axialK();
    return this.viewport(id)?.getSliceIndex() ?? 0;
  }

  sliceCount(id: ViewportId): number {
    return this.viewport(id)?.getNumberOfSlices() ?? 0;
  }

  reset(): void {
    for (const id of this.viewportIds()) {
      const vp = this.viewport(id);
      vp?.resetCamera();
    }
    const s = this.store.getState();
    this.applyWindow(s.typedWindow ?? presetById(s.preset ?? 'lung'));
  }

  cancel(): void {
    for (const id of this.viewportIds()) {
      const el = this.elements.get(id);
      if (el) cst.cancelActiveManipulations(el);
    }
  }

  /** Deletes the given measurement, else the selected one, else the newest one. */
  deleteMeasurement(uid?: string): void {
    const listed = this.store.getState().measurements.map((m) => m.uid);
    const uids = uid ? [uid] : uidsToDelete(cst.annotation.selection.getAnnotationsSelected() ?? [], listed);
    for (const u of uids) {
      this.deleted.add(u);
      cst.annotation.state.removeAnnotation(u);
      // Also when Cornerstone no longer holds it (a list left over from an earlier view).
      this.store.getState().removeMeasurement(u);
    }
    this.engine.renderViewports(this.viewportIds());
  }

  /** Selects a measurement (the list's row click), so Delete removes that one. */
  selectMeasurement(uid: string): void {
    if (cst.annotation.state.getAnnotation(uid)) cst.annotation.selection.setAnnotationSelected(uid, true);
    this.engine.renderViewports(this.viewportIds());
  }

  /**
   * Redraws kept measurements (after a lock and unlock, or a reopen): they are added to
   * Cornerstone's state; its tools recompute the statistics, which the list then shows again.
   */
  restoreAnnotations(): void {
    if (!this.info) return;
    const forUid = this.frameOfReferenceUid();
    for (const m of this.store.getState().measurements) {
      if (cst.annotation.state.getAnnotation(m.uid) || this.deleted.has(m.uid)) continue;
      const imageId = m.sliceIndex !== null ? this.imageIds[m.sliceIndex] : undefined;
      cst.annotation.state.addAnnotation(
        annotationFromMeasurement(m, forUid, imageId) as unknown as cst.Types.Annotation,
        forUid,
      );
    }
    this.engine.renderViewports(this.viewportIds());
  }

  private frameOfReferenceUid(): string {
    const info = this.info;
    return info ? info.metadata.frameOfReferenceUid || `pulmolens-for-${info.key}` : '';
  }

  setCine(on: boolean, fps = 15): void {
    if (this.cineTimer) clearInterval(this.cineTimer);
    this.cineTimer = null;
    if (!on) return;
    // Plays downward (toward the feet in the axial view) and starts over at the first image once
    // the view stops moving (a few ticks, since a stack shows its next image asynchronously).
    let last = -1;
    let still = 0;
    this.cineTimer = setInterval(() => {
      const id = this.store.getState().activeViewport;
      const now = this.sliceIndex(id);
      still = now === last ? still + 1 : 0;
      last = now;
      if (still >= 3) {
        still = 0;
        void this.jumpToEnd(id, 'first');
      } else this.scroll(id, 1);
    }, 1000 / fps);
  }

  /** Canvas (CSS px, relative to the viewport element) of a world point: for tests and the bench. */
  worldToCanvas(id: ViewportId, world: [number, number, number]): [number, number] | null {
    const vp = this.viewport(id);
    if (!vp) return null;
    const p = vp.worldToCanvas(world);
    return [p[0], p[1]];
  }

  private report(id: ViewportId): void {
    const vp = this.viewport(id);
    if (!vp || !this.volumeId) return;
    const cam = vp.getCamera();
    const props = vp.getProperties();
    const range = props?.voiRange;
    const win = range ? rangeToWindow(range.lower, range.upper) : { center: 0, width: 0 };
    const h = vp.element.clientHeight || 1;
    const normal = cam.viewPlaneNormal ?? [0, 0, 1];
    const focal = cam.focalPoint ?? [0, 0, 0];
    this.store.getState().setReadout(id, {
      sliceIndex: this.sliceIndex(id),
      sliceCount: vp.getNumberOfSlices(),
      slicePositionMm: Math.abs(normal[2]) > 0.9 ? focal[2] : Math.abs(normal[1]) > 0.9 ? focal[1] : focal[0],
      windowCenter: Math.round(win.center),
      windowWidth: Math.round(win.width),
      mmPerPixel: ((cam.parallelScale ?? 0) * 2) / h,
      zoomPercent: cam.parallelScale
        ? Math.round(((this.info?.geometry.spacingMm[0] ?? 1) / (((cam.parallelScale ?? 0) * 2) / h)) * 100)
        : 0,
      markers: edgeMarkers(
        (cam.viewUp ?? [0, -1, 0]) as [number, number, number],
        normal as [number, number, number],
      ),
    });
  }

  private readAnnotation(a: cst.Types.Annotation | undefined): void {
    if (!a?.annotationUID || !isMeasurementTool(a.metadata?.toolName) || !this.info) return;
    // A tool can still report an annotation after the reader deleted it (a render or statistics
    // update of a viewport being rebuilt): that must not bring the measurement back.
    if (this.deleted.has(a.annotationUID)) return;
    const normal = a.metadata?.viewPlaneNormal;
    const viewportId = (this.viewportIds().find((id) => {
      const n = this.viewport(id)?.getCamera().viewPlaneNormal;
      return n && normal && Math.abs(n[0] * normal[0] + n[1] * normal[1] + n[2] * normal[2]) > 0.99;
    }) ?? 'axial') as ViewportId;
    const first = (a.data?.handles?.points?.[0] ?? null) as [number, number, number] | null;
    const d = this.info.geometry.direction;
    const axialPlane = !!normal && Math.abs(normal[0] * d[6] + normal[1] * d[7] + normal[2] * d[8]) > 0.99;
    const k = first ? Math.round(worldToVoxel(this.info.geometry, first)[2]) : -1;
    const m = measurementFromAnnotation(a as AnnotationLike, {
      viewportId,
      frameOfReferenceUid: this.frameOfReferenceUid(),
      sliceIndex: axialPlane && k >= 0 && k < this.info.geometry.dims[2] ? k : null,
      // Read the HU from the core's volume itself: Cornerstone's probe misreads local stacks.
      probeHu: this.probeHu(first),
    });
    if (!m) return;
    const known = this.store.getState().measurements.find((x) => x.uid === m.uid);
    if (!known || known.text !== m.text || JSON.stringify(known.points) !== JSON.stringify(m.points))
      this.store.getState().upsertMeasurement(m);
  }

  /** HU of the voxel nearest a world point, read from the core's volume (null outside it). */
  private probeHu(p: Types.Point3 | null): number | null {
    return p && this.info && this.hu ? huAt(this.info, this.hu, [p[0], p[1], p[2]]) : null;
  }

  resize(): void {
    this.engine.resize(true, true);
  }

  destroy(): void {
    this.setCine(false);
    for (const d of this.disposers) d();
    this.disposers = [];
    this.layoutListeners.dispose();
    cst.ToolGroupManager.destroyToolGroup(TOOL_GROUP_ID);
    this.engine.destroy();
    if (this.volumeId) cache.removeVolumeLoadObject(this.volumeId);
  }
}
