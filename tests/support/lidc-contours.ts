/**
 * Each LIDC reader's own outline of a nodule, measured like the app measures a segmentation:
 * long and short axis on the axial slice where the outline has the largest area (axialAxes, the
 * same calipers as src/core/findings/measurements.ts) and volume = enclosed contour area x slice
 * spacing (as LUNA16's per-reader diameters). The region is the contour pixels and their
 * interior, less the exclusion contours (the LIDC convention that lidc-xml.ts follows).
 */
import { readFileSync } from 'node:fs';
import { XMLParser } from 'fast-xml-parser';
import { axialAxes } from '../../src/core/findings/measurements';
import type { Vec3, VolumeGeometry } from '../../src/common/volume';

export interface ReaderOutline {
  reader: number;
  longAxisMm: number;
  shortAxisMm: number;
  volumeMm3: number;
}

type Xml = Record<string, unknown>;
const list = (v: unknown): Xml[] => (v === undefined ? [] : Array.isArray(v) ? (v as Xml[]) : [v as Xml]);

function inside(px: number, py: number, poly: Array<[number, number]>): boolean {
  let hit = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!;
    const [xj, yj] = poly[j]!;
    if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) hit = !hit;
  }
  return hit;
}

function shoelace(p: Array<[number, number]>): number {
  let t = 0;
  for (let i = 0, j = p.length - 1; i < p.length; j = i++) t += p[j]![0] * p[i]![1] - p[i]![0] * p[j]![1];
  return Math.abs(t) / 2;
}

/**
 * The outlines of every reader whose contoured nodule has its centre within `withinMm` of
 * `centerLps` (axial series: slice z from imageZposition, pixel -> world by origin and spacing).
 */
export function readerOutlines(
  xmlPath: string,
  g: Pick<VolumeGeometry, 'spacingMm' | 'originLps'>,
  centerLps: Vec3,
  withinMm: number,
): ReaderOutline[] {
  const root = new XMLParser().parse(readFileSync(xmlPath, 'utf8')).LidcReadMessage as Xml;
  const [sx, sy, sz] = g.spacingMm;
  const out: ReaderOutline[] = [];
  list(root.readingSession).forEach((session, reader) => {
    for (const nodule of list(session.unblindedReadNodule)) {
      const rois = list(nodule.roi).map((r) => ({
        z: Number(r.imageZposition),
        inclusion: String(r.inclusion).toUpperCase() !== 'FALSE',
        points: list(r.edgeMap).map((e) => [Number(e.xCoord), Number(e.yCoord)] as [number, number]),
      }));
      if (!rois.some((r) => r.inclusion && r.points.length > 2)) continue;
      const bySlice = new Map<number, Array<[number, number]>>();
      let area = 0;
      for (const z of new Set(rois.map((r) => r.z))) {
        const slice = rois.filter((r) => r.z === z);
        const px = new Set<string>();
        for (const r of slice.filter((s) => s.inclusion)) {
          area += shoelace(r.points);
          for (const [x, y] of r.points) px.add(`${x},${y}`);
          const xs = r.points.map((p) => p[0]);
          const ys = r.points.map((p) => p[1]);
          for (let y = Math.min(...ys); y <= Math.max(...ys); y++)
            for (let x = Math.min(...xs); x <= Math.max(...xs); x++)
              if (inside(x, y, r.points)) px.add(`${x},${y}`);
        }
        for (const r of slice.filter((s) => !s.inclusion)) {
          area -= shoelace(r.points);
          for (const k of [...px]) {
            const [x, y] = k.split(',').map(Number) as [number, number];
            if (inside(x, y, r.points)) px.delete(k);
          }
        }
        bySlice.set(
          z,
          [...px].map((k) => k.split(',').map(Number) as [number, number]),
        );
      }
      let n = 0;
      const c: Vec3 = [0, 0, 0];
      for (const [z, pixels] of bySlice)
        for (const [x, y] of pixels) {
          c[0] += g.originLps[0] + x * sx;
          c[1] += g.originLps[1] + y * sy;
          c[2] += z;
          n++;
        }
      if (n === 0) continue;
      if (Math.hypot(c[0] / n - centerLps[0], c[1] / n - centerLps[1], c[2] / n - centerLps[2]) > withinMm)
        continue;
      const largest = [...bySlice.values()].sort((a, b) => b.length - a.length)[0]!;
      const axes = axialAxes(largest, sx, sy);
      out.push({
        reader,
        longAxisMm: axes.longMm,
        shortAxisMm: axes.shortMm,
        volumeMm3: area * sx * sy * sz,
      });
    }
  });
  return out;
}
