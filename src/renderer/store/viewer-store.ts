/**
 * Reading-workspace state that the toolbar, overlays and hotkeys share. The Cornerstone engine
 * reads it and writes back what the viewports report (slice, window, measurements).
 */
import { resettableStore } from './reset-registry';
import type { WindowPreset } from '../viewer/presets';
import type { Measurement } from '../../shared/measurement-contract';

/** One axial view; axial + coronal + sagittal in a row; those three plus an axial MIP slab in 2×2. */
export type Layout = 'axial' | 'mpr' | 'grid';
export type ViewportId = 'axial' | 'coronal' | 'sagittal' | 'mip';
export type PrimaryTool =
  | 'WindowLevel'
  | 'Pan'
  | 'Zoom'
  | 'StackScroll'
  | 'Length'
  | 'Bidirectional'
  | 'Probe'
  | 'EllipticalROI'
  | 'CircleROI'
  | 'Crosshairs';

export interface ViewportReadout {
  sliceIndex: number;
  sliceCount: number;
  /** Position of the slice along its normal, LPS mm. */
  slicePositionMm: number;
  windowCenter: number;
  windowWidth: number;
  /** Millimetres per CSS pixel on screen, for the scale bar. */
  mmPerPixel: number;
  /** Image pixels to screen pixels, percent (100: one image pixel per CSS pixel). */
  zoomPercent: number;
  /** Orientation letters at the left, right, top and bottom edges. */
  markers: { left: string; right: string; top: string; bottom: string };
}

export type { Measurement } from '../../shared/measurement-contract';

export const SLAB_MIN_MM = 5;
export const SLAB_MAX_MM = 30;

export interface ViewerState {
  layout: Layout;
  tool: PrimaryTool;
  activeViewport: ViewportId;
  preset: WindowPreset['id'] | null;
  mip: boolean;
  slabMm: number;
  cine: boolean;
  /** Grey scale inverted (white air), as OHIF's I key. */
  invert: boolean;
  /** A window typed by the reader; null while a preset or a drag sets it. */
  typedWindow: { center: number; width: number } | null;
  /** The hotkey list is open. */
  help: boolean;
  readouts: Partial<Record<ViewportId, ViewportReadout>>;
  measurements: Measurement[];
  setLayout(layout: Layout): void;
  setTool(tool: PrimaryTool): void;
  setActiveViewport(id: ViewportId): void;
  setPreset(id: WindowPreset['id'] | null): void;
  setMip(on: boolean): void;
  setSlabMm(mm: number): void;
  setCine(on: boolean): void;
  setInvert(on: boolean): void;
  setTypedWindow(w: { center: number; width: number }): void;
  setHelp(open: boolean): void;
  setReadout(id: ViewportId, r: ViewportReadout): void;
  upsertMeasurement(m: Measurement): void;
  removeMeasurement(uid: string): void;
  /** The series' kept measurements (from the vault), replacing the list. */
  setMeasurements(list: Measurement[]): void;
  reset(): void;
}

export const clampSlab = (mm: number): number =>
  Number.isFinite(mm) ? Math.min(SLAB_MAX_MM, Math.max(SLAB_MIN_MM, Math.round(mm))) : SLAB_MIN_MM + 5;

const initial = {
  layout: 'axial' as Layout,
  tool: 'WindowLevel' as PrimaryTool,
  activeViewport: 'axial' as ViewportId,
  preset: 'lung' as WindowPreset['id'] | null,
  mip: false,
  slabMm: 10,
  cine: false,
  invert: false,
  typedWindow: null as { center: number; width: number } | null,
  help: false,
  readouts: {},
  measurements: [] as Measurement[],
};

export function createViewerStore() {
  return resettableStore<ViewerState>('viewer')((set, get) => ({
    ...initial,
    setLayout: (layout) =>
      set({
        layout,
        // Crosshairs need the three planes; the single view falls back to window/level.
        tool: layout !== 'mpr' && get().tool === 'Crosshairs' ? 'WindowLevel' : get().tool,
        activeViewport:
          layout === 'axial' || (layout === 'mpr' && get().activeViewport === 'mip')
            ? 'axial'
            : get().activeViewport,
      }),
    setTool: (tool) => set({ tool: tool === 'Crosshairs' && get().layout !== 'mpr' ? get().tool : tool }),
    setActiveViewport: (activeViewport) => set({ activeViewport }),
    setPreset: (preset) => set({ preset, typedWindow: preset ? null : get().typedWindow }),
    setMip: (mip) => set({ mip }),
    setSlabMm: (mm) => set({ slabMm: clampSlab(mm) }),
    setCine: (cine) => set({ cine }),
    setInvert: (invert) => set({ invert }),
    setTypedWindow: (w) => set({ typedWindow: w, preset: null }),
    setHelp: (help) => set({ help }),
    setReadout: (id, r) => set({ readouts: { ...get().readouts, [id]: r } }),
    upsertMeasurement: (m) => {
      const rest = get().measurements.filter((x) => x.uid !== m.uid);
      set({ measurements: [...rest, m] });
    },
    setMeasurements: (measurements) => set({ measurements }),
    removeMeasurement: (uid) => set({ measurements: get().measurements.filter((x) => x.uid !== uid) }),
    reset: () => set({ ...initial, readouts: {}, measurements: [] }),
  }));
}

export type ViewerStore = ReturnType<typeof createViewerStore>;
