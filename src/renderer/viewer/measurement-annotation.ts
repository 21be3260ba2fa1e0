/**
 * Cornerstone annotation <-> the app's Measurement, kept free of Cornerstone imports so it is
 * unit-tested: what the list shows, what the vault keeps, and how a kept measurement is redrawn.
 */
import {
  MEASUREMENT_TOOLS,
  type Measurement,
  type MeasurementStats,
  type MeasurementTool,
} from '../../shared/measurement-contract';
import type { ViewportId } from '../store/viewer-store';

type Vec3 = [number, number, number];

/** The parts of a Cornerstone annotation this module reads and writes. */
export interface AnnotationLike {
  annotationUID?: string;
  metadata?: {
    toolName?: string;
    viewPlaneNormal?: number[];
    viewUp?: number[];
    FrameOfReferenceUID?: string;
    referencedImageId?: string;
  };
  data?: {
    handles?: { points?: number[][] };
    cachedStats?: Record<string, Record<string, unknown>>;
  };
}

export const isMeasurementTool = (t: unknown): t is MeasurementTool =>
  (MEASUREMENT_TOOLS as readonly unknown[]).includes(t);

const vec3 = (v: number[] | undefined, fallback: Vec3): Vec3 =>
  v && v.length >= 3 && v.slice(0, 3).every(Number.isFinite) ? [v[0]!, v[1]!, v[2]!] : fallback;

/** Cornerstone's first statistics block with numbers in it (one per target volume or image). */
function firstStats(a: AnnotationLike): Record<string, unknown> {
  const all = Object.values(a.data?.cachedStats ?? {});
  return all.find((s) => typeof s.mean === 'number' || typeof s.length === 'number') ?? all[0] ?? {};
}

const num = (s: Record<string, unknown>, k: string): number | null =>
  typeof s[k] === 'number' && Number.isFinite(s[k]) ? (s[k] as number) : null;

export function measurementText(stats: MeasurementStats): string {
  switch (stats.tool) {
    case 'Length':
      return `${stats.lengthMm.toFixed(1)} mm`;
    case 'Bidirectional':
      return `${stats.longAxisMm.toFixed(1)} × ${stats.shortAxisMm.toFixed(1)} mm`;
    case 'Probe':
      return `${stats.hu} HU`;
    case 'EllipticalROI':
    case 'CircleROI':
      return `${stats.meanHu.toFixed(1)} ± ${stats.stdDevHu.toFixed(1)} HU · ${stats.areaMm2.toFixed(1)} mm²`;
  }
}

const mainValue = (s: MeasurementStats): number =>
  s.tool === 'Length'
    ? s.lengthMm
    : s.tool === 'Bidirectional'
      ? s.longAxisMm
      : s.tool === 'Probe'
        ? s.hu
        : s.meanHu;

export interface ReadContext {
  viewportId: ViewportId;
  frameOfReferenceUid: string;
  /** Volume slice index of the first point when the plane is axial, else null. */
  sliceIndex: number | null;
  /** The probe's HU, read from the app's own volume (Cornerstone's probe misreads local stacks). */
  probeHu: number | null;
}

/** The measurement an annotation stands for, or null while its numbers are not computed yet. */
export function measurementFromAnnotation(a: AnnotationLike, ctx: ReadContext): Measurement | null {
  const tool = a.metadata?.toolName;
  const uid = a.annotationUID;
  if (!uid || !isMeasurementTool(tool)) return null;
  const s = firstStats(a);
  let stats: MeasurementStats | null = null;
  if (tool === 'Length') {
    const l = num(s, 'length');
    if (l !== null) stats = { tool, lengthMm: l };
  } else if (tool === 'Bidirectional') {
    const l = num(s, 'length');
    const w = num(s, 'width');
    if (l !== null && w !== null) stats = { tool, longAxisMm: Math.max(l, w), shortAxisMm: Math.min(l, w) };
  } else if (tool === 'Probe') {
    if (ctx.probeHu !== null) stats = { tool, hu: ctx.probeHu };
  } else {
    const mean = num(s, 'mean');
    const sd = num(s, 'stdDev');
    const area = num(s, 'area');
    const min = num(s, 'min');
    const max = num(s, 'max');
    if (mean !== null && sd !== null && area !== null && min !== null && max !== null)
      stats = { tool, meanHu: mean, stdDevHu: sd, areaMm2: area, minHu: min, maxHu: max };
  }
  const points = (a.data?.handles?.points ?? []).map((p) => vec3(p, [0, 0, 0]));
  if (!stats || points.length === 0) return null;
  return {
    uid,
    tool,
    viewportId: ctx.viewportId,
    text: measurementText(stats),
    value: mainValue(stats),
    stats,
    points: points.slice(0, 8),
    viewPlaneNormal: vec3(a.metadata?.viewPlaneNormal, [0, 0, -1]),
    viewUp: vec3(a.metadata?.viewUp, [0, -1, 0]),
    frameOfReferenceUid: a.metadata?.FrameOfReferenceUID ?? ctx.frameOfReferenceUid,
    sliceIndex: ctx.sliceIndex,
  };
}

/**
 * A Cornerstone annotation that redraws a kept measurement. `referencedImageId` is the current
 * load's image of its slice (image ids change with every load), so stack views show it too.
 */
export function annotationFromMeasurement(
  m: Measurement,
  frameOfReferenceUid: string,
  referencedImageId: string | undefined,
) {
  return {
    annotationUID: m.uid,
    highlighted: false,
    invalidated: true,
    isLocked: false,
    isVisible: true,
    metadata: {
      toolName: m.tool,
      viewPlaneNormal: [...m.viewPlaneNormal] as Vec3,
      viewUp: [...m.viewUp] as Vec3,
      FrameOfReferenceUID: frameOfReferenceUid,
      ...(referencedImageId ? { referencedImageId } : {}),
    },
    data: {
      label: '',
      handles: {
        points: m.points.map((p) => [...p] as Vec3),
        activeHandleIndex: null,
        textBox: {
          hasMoved: false,
          worldPosition: [0, 0, 0] as Vec3,
          worldBoundingBox: {
            topLeft: [0, 0, 0] as Vec3,
            topRight: [0, 0, 0] as Vec3,
            bottomLeft: [0, 0, 0] as Vec3,
            bottomRight: [0, 0, 0] as Vec3,
          },
        },
      },
      cachedStats: {},
    },
  };
}

/**
 * Which annotations Delete removes: the selected ones that are measurements still listed, else the
 * newest listed one. Cornerstone keeps an annotation "selected" after it is gone, and selects
 * crosshair and other non-measurement annotations too: trusting the raw selection made Delete
 * remove nothing after the first deletion.
 */
export function uidsToDelete(selected: readonly string[], listed: readonly string[]): string[] {
  const live = selected.filter((u) => listed.includes(u));
  if (live.length) return live;
  const last = listed.at(-1);
  return last ? [last] : [];
}
