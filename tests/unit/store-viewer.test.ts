/** The viewer store and the pure helpers behind hotkeys, presets and overlays. */
import { describe, expect, it } from 'vitest';
import {
  clampSlab,
  createViewerStore,
  SLAB_MAX_MM,
  SLAB_MIN_MM,
} from '../../src/renderer/store/viewer-store';
import { hotkeyAction, isTypingTarget } from '../../src/renderer/viewer/hotkeys';
import type { Measurement } from '../../src/shared/measurement-contract';
import { directionLabel, edgeMarkers, scaleBarMm } from '../../src/renderer/viewer/orientation';
import { presetById, rangeToWindow, WINDOW_PRESETS, windowToRange } from '../../src/renderer/viewer/presets';

describe('viewer store', () => {
  it('starts in the single axial view with the lung window and window/level on the left button', () => {
    const s = createViewerStore().getState();
    expect(s.layout).toBe('axial');
    expect(s.preset).toBe('lung');
    expect(s.tool).toBe('WindowLevel');
    expect(s.mip).toBe(false);
  });

  it('allows crosshairs only in the three-view layout and drops them when going back to one view', () => {
    const store = createViewerStore();
    store.getState().setTool('Crosshairs');
    expect(store.getState().tool).toBe('WindowLevel');
    store.getState().setLayout('mpr');
    store.getState().setTool('Crosshairs');
    expect(store.getState().tool).toBe('Crosshairs');
    store.getState().setActiveViewport('sagittal');
    store.getState().setLayout('axial');
    expect(store.getState().tool).toBe('WindowLevel');
    expect(store.getState().activeViewport).toBe('axial');
  });

  it('keeps the MIP slab between 5 and 15 mm', () => {
    const store = createViewerStore();
    store.getState().setSlabMm(2);
    expect(store.getState().slabMm).toBe(SLAB_MIN_MM);
    store.getState().setSlabMm(40);
    expect(store.getState().slabMm).toBe(SLAB_MAX_MM);
    store.getState().setSlabMm(7.4);
    expect(store.getState().slabMm).toBe(7);
    expect(clampSlab(Number.NaN)).toBeGreaterThanOrEqual(SLAB_MIN_MM);
  });

  it('updates a measurement in place and removes it by uid', () => {
    const store = createViewerStore();
    const m: Measurement = {
      uid: 'a',
      tool: 'Length',
      viewportId: 'axial',
      value: 10,
      text: '10.0 mm',
      stats: { tool: 'Length', lengthMm: 10 },
      points: [
        [0, 0, 0],
        [10, 0, 0],
      ],
      viewPlaneNormal: [0, 0, -1],
      viewUp: [0, -1, 0],
      frameOfReferenceUid: '1.2.3',
      sliceIndex: 0,
    };
    store.getState().upsertMeasurement(m);
    store.getState().upsertMeasurement({ ...m, value: 12, text: '12.0 mm' });
    store.getState().upsertMeasurement({ ...m, uid: 'b' });
    expect(store.getState().measurements.map((x) => [x.uid, x.value])).toEqual([
      ['a', 12],
      ['b', 10],
    ]);
    store.getState().removeMeasurement('a');
    expect(store.getState().measurements.map((x) => x.uid)).toEqual(['b']);
    store.getState().reset();
    expect(store.getState().measurements).toEqual([]);
  });
});

describe('window presets', () => {
  it('has the four reading presets on keys 1-4', () => {
    expect(WINDOW_PRESETS.map((p) => [p.hotkey, p.id, p.center, p.width])).toEqual([
      ['1', 'lung', -600, 1500],
      ['2', 'mediastinum', 50, 350],
      ['3', 'soft-tissue', 40, 400],
      ['4', 'bone', 480, 2500],
    ]);
  });

  it('converts centre/width to a VOI range and back', () => {
    expect(windowToRange(-600, 1500)).toEqual({ lower: -1350, upper: 150 });
    const p = presetById('mediastinum');
    const r = windowToRange(p.center, p.width);
    expect(rangeToWindow(r.lower, r.upper)).toEqual({ center: 50, width: 350 });
  });
});

describe('hotkeys', () => {
  it('maps the OHIF keys', () => {
    expect(hotkeyAction('ArrowUp')).toEqual({ kind: 'scroll', delta: -1 });
    expect(hotkeyAction('ArrowDown')).toEqual({ kind: 'scroll', delta: 1 });
    expect(hotkeyAction('Home')).toEqual({ kind: 'first' });
    expect(hotkeyAction('End')).toEqual({ kind: 'last' });
    expect(hotkeyAction('3')).toEqual({ kind: 'preset', hotkey: '3' });
    expect(hotkeyAction(' ')).toEqual({ kind: 'reset' });
    expect(hotkeyAction('Escape')).toEqual({ kind: 'cancel' });
    expect(hotkeyAction('Backspace')).toEqual({ kind: 'deleteMeasurement' });
    expect(hotkeyAction('i')).toEqual({ kind: 'invert' });
    expect(hotkeyAction('?')).toEqual({ kind: 'help' });
    expect(hotkeyAction('5')).toBeNull();
    expect(hotkeyAction('x')).toBeNull();
  });

  it('leaves keys alone while the user types in a field', () => {
    expect(isTypingTarget({ tagName: 'INPUT' } as unknown as EventTarget)).toBe(true);
    expect(isTypingTarget({ tagName: 'DIV', isContentEditable: true } as unknown as EventTarget)).toBe(true);
    expect(isTypingTarget({ tagName: 'DIV' } as unknown as EventTarget)).toBe(false);
    expect(isTypingTarget(null)).toBe(false);
  });
});

describe('orientation overlay', () => {
  it('labels the standard axial, coronal and sagittal views like a PACS', () => {
    // Cornerstone's default cameras (viewUp, viewPlaneNormal) for the three orientations.
    expect(edgeMarkers([0, -1, 0], [0, 0, -1])).toEqual({ left: 'R', right: 'L', top: 'A', bottom: 'P' });
    expect(edgeMarkers([0, 0, 1], [0, -1, 0])).toEqual({ left: 'R', right: 'L', top: 'S', bottom: 'I' });
    expect(edgeMarkers([0, 0, 1], [1, 0, 0])).toEqual({ left: 'A', right: 'P', top: 'S', bottom: 'I' });
  });

  it('gives two letters for oblique directions, dominant first', () => {
    expect(directionLabel([0.8, -0.6, 0])).toBe('LA');
    expect(directionLabel([0, 0, -1])).toBe('I');
  });

  it('picks a round scale bar that fits', () => {
    expect(scaleBarMm(0.5, 120)).toBe(50);
    expect(scaleBarMm(1, 120)).toBe(100);
    expect(scaleBarMm(0, 120)).toBe(0);
  });
});
