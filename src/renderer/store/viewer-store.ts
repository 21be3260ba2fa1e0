/**
 * Reading-workspace state that the toolbar, overlays and hotkeys share. The Cornerstone engine
 * reads it and writes back what the viewports report (slice, window, measurements).
 */
import { resettableStore } from './reset-registry';
import type { WindowPreset } from '../viewer/presets';

export type Layout = 'axial' | 'mpr';
export type ViewportId = 'axial' | 'coronal' | 'sagittal';
export type PrimaryTool =
  'WindowLevel' | 'Pan' | 'Zoom' | 'StackScroll' | 'Length' | 'Bidirectional' | 'Probe' | 'Crosshairs';

export interface ViewportReadout {
  sliceIndex: number;
  sliceCount: number;
  /** Position of the slice along its normal, LPS mm. */
  slicePositionMm: number;
  windowCenter: number;
  windowWidth: number;
  /** Millimetres per CSS pixel on screen, for the scale bar. */
  mmPerPixel: number;
  /** Orientation letters at the left, right, top and bottom edges. */
  markers: { left: string; right: string; top: string; bottom: string };
}

export interface Measurement {
  uid: string;
  tool: 'Length' | 'Bidirectional' | 'Probe';
  viewportId: ViewportId;
  /** Human-readable value, e.g. "23.4 mm" or "12.3 × 8.1 mm" or "-712 HU". */
  text: string;
  /** Main number in mm (length, long axis) or HU (probe). */
  value: number;
}

export const SLAB_MIN_MM = 5;
export const SLAB_MAX_MM = 15;

export interface ViewerState {
  layout: Layout;
  tool: PrimaryTool;
  activeViewport: ViewportId;
  preset: WindowPreset['id'] | null;
  mip: boolean;
  slabMm: number;
  cine: boolean;
  readouts: Partial<Record<ViewportId, ViewportReadout>>;
  measurements: Measurement[];
  setLayout(layout: Layout): void;
  setTool(tool: PrimaryTool): void;
  setActiveViewport(id: ViewportId): void;
  setPreset(id: WindowPreset['id'] | null): void;
  setMip(on: boolean): void;
  setSlabMm(mm: number): void;
  setCine(on: boolean): void;
  setReadout(id: ViewportId, r: ViewportReadout): void;
  upsertMeasurement(m: Measurement): void;
  removeMeasurement(uid: string): void;
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
        tool: layout === 'axial' && get().tool === 'Crosshairs' ? 'WindowLevel' : get().tool,
        activeViewport: layout === 'axial' ? 'axial' : get().activeViewport,
      }),
    setTool: (tool) => set({ tool: tool === 'Crosshairs' && get().layout === 'axial' ? get().tool : tool }),
    setActiveViewport: (activeViewport) => set({ activeViewport }),
    setPreset: (preset) => set({ preset }),
    setMip: (mip) => set({ mip }),
    setSlabMm: (mm) => set({ slabMm: clampSlab(mm) }),
    setCine: (cine) => set({ cine }),
    setReadout: (id, r) => set({ readouts: { ...get().readouts, [id]: r } }),
    upsertMeasurement: (m) => {
      const rest = get().measurements.filter((x) => x.uid !== m.uid);
      set({ measurements: [...rest, m] });
    },
    removeMeasurement: (uid) => set({ measurements: get().measurements.filter((x) => x.uid !== uid) }),
    reset: () => set({ ...initial, readouts: {}, measurements: [] }),
  }));
}

export type ViewerStore = ReturnType<typeof createViewerStore>;
