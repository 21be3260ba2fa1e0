/**
 * The measurement list's pure parts (Cornerstone annotation <-> Measurement, which annotation
 * Delete removes), the measurement IPC schema, the measurement store, and the one hotkey table.
 */
import { describe, expect, it } from 'vitest';
import {
  annotationFromMeasurement,
  measurementFromAnnotation,
  measurementText,
  uidsToDelete,
} from '../../src/renderer/viewer/measurement-annotation';
import { HOTKEYS, hotkeyAction, hotkeyHelp, isTypingTarget } from '../../src/renderer/viewer/hotkeys';
import { measurementSchema, measurementSchemas } from '../../src/shared/measurement-contract';
import { requestSchemas } from '../../src/shared/ipc-contract';
import { createMeasurementHandlers, memoryMeasurementStore } from '../../src/main/ipc/measurement-handlers';

const ctx = { viewportId: 'axial' as const, frameOfReferenceUid: '1.2.3', sliceIndex: 40, probeHu: -850 };
const plane = { viewPlaneNormal: [0, 0, -1], viewUp: [0, -1, 0], FrameOfReferenceUID: '1.2.3' };

describe('annotation -> measurement', () => {
  it('reads an elliptical ROI from Cornerstone statistics', () => {
    const m = measurementFromAnnotation(
      {
        annotationUID: 'e1',
        metadata: { toolName: 'EllipticalROI', ...plane },
        data: {
          handles: {
            points: [
              [0, 0, 0],
              [0, 10, 0],
              [-5, 5, 0],
              [5, 5, 0],
            ],
          },
          cachedStats: {
            'volumeId:x': { mean: 41.26, stdDev: 9.04, area: 78.5, min: 10, max: 70, areaUnit: 'mm²' },
          },
        },
      },
      ctx,
    );
    expect(m).not.toBeNull();
    expect(m!.stats).toEqual({
      tool: 'EllipticalROI',
      meanHu: 41.26,
      stdDevHu: 9.04,
      areaMm2: 78.5,
      minHu: 10,
      maxHu: 70,
    });
    expect(m!.text).toBe('41.3 ± 9.0 HU · 78.5 mm²');
    expect(m!.value).toBe(41.26);
    expect(m!.points).toHaveLength(4);
    expect(measurementSchema.parse(m)).toEqual(m);
  });

  it('waits for statistics that are not computed yet', () => {
    const pending = {
      annotationUID: 'c1',
      metadata: { toolName: 'CircleROI', ...plane },
      data: {
        handles: {
          points: [
            [0, 0, 0],
            [3, 0, 0],
          ],
        },
        cachedStats: { t: { area: null } },
      },
    };
    expect(measurementFromAnnotation(pending, ctx)).toBeNull();
  });

  it('orders bidirectional axes long then short, and takes the probe HU from the app volume', () => {
    const b = measurementFromAnnotation(
      {
        annotationUID: 'b1',
        metadata: { toolName: 'Bidirectional', ...plane },
        data: {
          handles: {
            points: [
              [0, 0, 0],
              [1, 0, 0],
              [0, 1, 0],
              [0, 2, 0],
            ],
          },
          cachedStats: { t: { length: 8, width: 12 } },
        },
      },
      ctx,
    );
    expect(b!.stats).toEqual({ tool: 'Bidirectional', longAxisMm: 12, shortAxisMm: 8 });
    expect(b!.text).toBe('12.0 × 8.0 mm');
    const p = measurementFromAnnotation(
      {
        annotationUID: 'p1',
        metadata: { toolName: 'Probe', ...plane },
        data: { handles: { points: [[1, 2, 3]] } },
      },
      ctx,
    );
    expect(p!.text).toBe('-850 HU');
    expect(
      measurementFromAnnotation({ annotationUID: 'x', metadata: { toolName: 'Crosshairs' } }, ctx),
    ).toBeNull();
  });

  it('redraws a kept measurement with its points, plane and the current image of its slice', () => {
    const m = measurementSchema.parse({
      uid: 'l1',
      tool: 'Length',
      viewportId: 'axial',
      text: measurementText({ tool: 'Length', lengthMm: 23.44 }),
      value: 23.44,
      stats: { tool: 'Length', lengthMm: 23.44 },
      points: [
        [1, 2, 3],
        [4, 5, 6],
      ],
      viewPlaneNormal: [0, 0, -1],
      viewUp: [0, -1, 0],
      frameOfReferenceUid: '1.2.3',
      sliceIndex: 7,
    });
    expect(m.text).toBe('23.4 mm');
    const a = annotationFromMeasurement(m, '1.2.3', 'pulmolens:x-2:7');
    expect(a.annotationUID).toBe('l1');
    expect(a.metadata).toMatchObject({ toolName: 'Length', referencedImageId: 'pulmolens:x-2:7' });
    expect(a.data.handles.points).toEqual(m.points);
    expect(a.invalidated).toBe(true);
  });
});

describe('measurement schema', () => {
  it('refuses stats of another tool, non-finite numbers and unknown fields', () => {
    const base = {
      uid: 'u',
      tool: 'Probe',
      viewportId: 'axial',
      text: '1 HU',
      value: 1,
      stats: { tool: 'Probe', hu: 1 },
      points: [[0, 0, 0]],
      viewPlaneNormal: [0, 0, 1],
      viewUp: [0, 1, 0],
      frameOfReferenceUid: '',
      sliceIndex: null,
    };
    expect(measurementSchema.safeParse(base).success).toBe(true);
    expect(measurementSchema.safeParse({ ...base, stats: { tool: 'Length', lengthMm: 3 } }).success).toBe(
      false,
    );
    expect(measurementSchema.safeParse({ ...base, value: Number.NaN }).success).toBe(false);
    expect(measurementSchema.safeParse({ ...base, extra: 1 }).success).toBe(false);
    expect(requestSchemas['measurements.save']).toBe(measurementSchemas['measurements.save']);
  });
});

describe('Delete', () => {
  it('removes the selected listed measurement, else the newest; a stale selection is ignored', () => {
    expect(uidsToDelete(['b'], ['a', 'b', 'c'])).toEqual(['b']);
    // Cornerstone still "selects" an annotation it already removed: Delete must not aim at it.
    expect(uidsToDelete(['gone'], ['a', 'c'])).toEqual(['c']);
    expect(uidsToDelete([], ['a'])).toEqual(['a']);
    expect(uidsToDelete(['x'], [])).toEqual([]);
  });

  it('keeps working while a checkbox or slider has focus, not while typing', () => {
    expect(isTypingTarget({ tagName: 'INPUT', type: 'checkbox' } as unknown as EventTarget)).toBe(false);
    expect(isTypingTarget({ tagName: 'INPUT', type: 'range' } as unknown as EventTarget)).toBe(false);
    expect(isTypingTarget({ tagName: 'INPUT', type: 'text' } as unknown as EventTarget)).toBe(true);
    expect(isTypingTarget({ tagName: 'INPUT' } as unknown as EventTarget)).toBe(true);
  });
});

describe('hotkey table', () => {
  it('binds each key once and lists every binding in the help panel', () => {
    const keys = HOTKEYS.flatMap((h) => h.keys.map((k) => `${h.ctrl ? 'Ctrl+' : ''}${k}`));
    expect(new Set(keys).size).toBe(keys.length);
    const help = hotkeyHelp();
    expect(help).toHaveLength(HOTKEYS.length);
    expect(help.find((r) => r.label === 'Invert grey scale')?.keys).toEqual(['I']);
    expect(help.find((r) => r.keys.includes('Delete'))?.keys).toEqual(['Delete', 'Backspace']);
    for (const h of HOTKEYS)
      for (const k of h.keys) expect(hotkeyAction(k, { ctrl: h.ctrl === true })).toEqual(h.action);
  });

  it("keeps OHIF's default keys where OHIF has them", () => {
    // platform/core/src/defaults/hotkeyBindings.js (OHIF v3)
    expect(hotkeyAction('i')).toEqual({ kind: 'invert' });
    expect(hotkeyAction('c')).toEqual({ kind: 'cine' });
    expect(hotkeyAction(' ')).toEqual({ kind: 'reset' });
    expect(hotkeyAction('Escape')).toEqual({ kind: 'cancel' });
    expect(hotkeyAction('Backspace')).toEqual({ kind: 'deleteMeasurement' });
    expect(hotkeyAction('Home')).toEqual({ kind: 'first' });
    expect(hotkeyAction('End')).toEqual({ kind: 'last' });
    expect(hotkeyAction('1')).toEqual({ kind: 'preset', hotkey: '1' });
    expect(hotkeyAction('l', { ctrl: true })).toEqual({ kind: 'lock' });
    expect(hotkeyAction('l')).toBeNull();
  });
});

describe('measurement handlers', () => {
  it('keep the last saved list per series', async () => {
    const h = createMeasurementHandlers(memoryMeasurementStore());
    const signal = new AbortController().signal;
    const c = { signal, progress: () => undefined };
    expect(await h['measurements.get']({ key: 's1' }, c)).toEqual({ measurements: [] });
    const m = measurementSchema.parse({
      uid: 'u',
      tool: 'Probe',
      viewportId: 'axial',
      text: '1 HU',
      value: 1,
      stats: { tool: 'Probe', hu: 1 },
      points: [[0, 0, 0]],
      viewPlaneNormal: [0, 0, 1],
      viewUp: [0, 1, 0],
      frameOfReferenceUid: '',
      sliceIndex: null,
    });
    expect(await h['measurements.save']({ key: 's1', measurements: [m] }, c)).toEqual({ saved: 1 });
    expect((await h['measurements.get']({ key: 's1' }, c)).measurements).toEqual([m]);
    expect((await h['measurements.get']({ key: 's2' }, c)).measurements).toEqual([]);
  });
});
