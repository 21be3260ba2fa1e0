/**
 * Reader for LIDC-IDRI CT reader XML (LidcReadMessage). Each readingSession is one radiologist.
 * Following the LIDC protocol and LUNA16's reference standard:
 * - a nodule the reader contoured (an ROI with more than one edge point) is in the ">= 3 mm" class;
 *   a single-point mark is a nodule < 3 mm; nonNodule loci are other findings;
 * - contoured marks from different readers are merged when their centres are closer than the sum
 *   of their radii (LUNA16, Setio et al. 2017); a merged nodule marked by at least k readers is a
 *   reference nodule at the mean centre with the mean diameter;
 * - every other mark (fewer than k readers, < 3 mm, non-nodule) is an excluded mark.
 * Pixel coordinates are turned into world mm with the series geometry; the slice comes from
 * imageZposition (LIDC records the slice's z, so the series must be axial).
 */
import { basename } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { PulmoLensError } from '../../common/errors';
import type { VolumeGeometry, Vec3 } from '../../common/volume';
import type { TextSource } from './luna16-csv';
import type { ExcludedMark, ReferenceNodule } from '../../common/eval';
import type { NoduleType } from '../../common/findings/findings-document';

export const DEFAULT_MIN_READERS = 3;

/** What the pixel-to-world conversion needs from a series. */
export type SeriesGeometry = Pick<VolumeGeometry, 'spacingMm' | 'originLps' | 'direction'>;

export interface ReaderMark {
  reader: number;
  /** The reader's own id for the mark (noduleID / nonNoduleID). */
  readerMarkId: string;
  kind: 'nodule>=3mm' | 'nodule<3mm' | 'non-nodule';
  centerLps: Vec3;
  /** Equivalent-sphere diameter of the outlined volume (mm); null for point marks. */
  diameterMm: number | null;
  /** The outlined volume (contour areas times slice spacing); null for point marks. */
  volumeMm3: number | null;
  /** The reader's texture rating, 1 (ground glass) to 5 (solid); null when not given. */
  texture: number | null;
}

export interface LidcAnnotations {
  seriesInstanceUid: string;
  readers: number;
  nodules: ReferenceNodule[];
  excluded: ExcludedMark[];
  marks: ReaderMark[];
}

type Xml = Record<string, unknown>;

const ARRAYS = new Set(['readingSession', 'unblindedReadNodule', 'roi', 'edgeMap', 'nonNodule']);

function parseXml(src: TextSource): Xml {
  const parser = new XMLParser({
    ignoreAttributes: true,
    removeNSPrefix: true,
    parseTagValue: false,
    trimValues: true,
    isArray: (name) => ARRAYS.has(name),
  });
  let doc: Xml;
  try {
    doc = parser.parse(src.text) as Xml;
  } catch (cause) {
    throw new PulmoLensError('ANNOTATIONS_INVALID', `not well-formed XML: ${(cause as Error).message}`, {
      path: src.path,
      cause,
    });
  }
  const root = doc.LidcReadMessage;
  if (!root || typeof root !== 'object') {
    throw new PulmoLensError(
      'ANNOTATIONS_INVALID',
      'not a LIDC-IDRI CT reader file (no LidcReadMessage root)',
      { path: src.path },
    );
  }
  return root as Xml;
}

function text(v: unknown): string {
  return typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '';
}

function number(src: TextSource, v: unknown, what: string): number {
  const s = text(v);
  const n = Number(s);
  if (s === '' || !Number.isFinite(n)) {
    throw new PulmoLensError('ANNOTATIONS_INVALID', `${what} is not a number (${JSON.stringify(s)})`, {
      path: src.path,
    });
  }
  return n;
}

function list(v: unknown): Xml[] {
  return Array.isArray(v) ? (v as Xml[]) : [];
}

/** The SeriesInstanceUid the file annotates, so a caller can find the geometry before reading marks. */
export function lidcSeriesUid(src: TextSource): string {
  const header = parseXml(src).ResponseHeader as Xml | undefined;
  const uid = text(header?.SeriesInstanceUid);
  if (!uid) {
    throw new PulmoLensError('ANNOTATIONS_INVALID', 'ResponseHeader has no SeriesInstanceUid', {
      path: src.path,
    });
  }
  return uid;
}

function pixelToWorld(g: SeriesGeometry, x: number, y: number, z: number): Vec3 {
  const d = g.direction;
  const [sx, sy] = g.spacingMm;
  const o = g.originLps;
  const inPlane: Vec3 = [
    x * sx * d[0] + y * sy * d[3],
    x * sx * d[1] + y * sy * d[4],
    x * sx * d[2] + y * sy * d[5],
  ];
  // Move along the slice normal from the origin until the point's z equals the slice's z.
  const t = (z - o[2] - inPlane[2]) / d[8];
  return [o[0] + inPlane[0] + t * d[6], o[1] + inPlane[1] + t * d[7], z];
}

interface Roi {
  z: number;
  inclusion: boolean;
  points: [number, number][];
}

function readRois(src: TextSource, nodule: Xml): Roi[] {
  return list(nodule.roi).map((roi) => ({
    z: number(src, roi.imageZposition, 'imageZposition'),
    inclusion: text(roi.inclusion).toUpperCase() !== 'FALSE',
    points: list(roi.edgeMap).map((e) => [number(src, e.xCoord, 'xCoord'), number(src, e.yCoord, 'yCoord')]),
  }));
}

/** Even-odd test of a pixel centre against a closed polygon. */
function inside(px: number, py: number, poly: [number, number][]): boolean {
  let hit = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i] as [number, number];
    const [xj, yj] = poly[j] as [number, number];
    if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) hit = !hit;
  }
  return hit;
}

/** Pixels of the reader's region on each slice: contour and interior, less excluded holes. */
function regionPixels(rois: Roi[]): { x: number; y: number; z: number }[] {
  const byZ = new Map<number, Roi[]>();
  for (const r of rois) byZ.set(r.z, [...(byZ.get(r.z) ?? []), r]);
  const out: { x: number; y: number; z: number }[] = [];
  for (const [z, slice] of byZ) {
    const pixels = new Set<string>();
    const add = (x: number, y: number): void => void pixels.add(`${x},${y}`);
    for (const r of slice.filter((s) => s.inclusion)) {
      for (const [x, y] of r.points) add(x, y);
      const xs = r.points.map((p) => p[0]);
      const ys = r.points.map((p) => p[1]);
      for (let y = Math.min(...ys); y <= Math.max(...ys); y++) {
        for (let x = Math.min(...xs); x <= Math.max(...xs); x++) if (inside(x, y, r.points)) add(x, y);
      }
    }
    for (const r of slice.filter((s) => !s.inclusion)) {
      for (const key of [...pixels]) {
        const [x, y] = key.split(',').map(Number) as [number, number];
        if (inside(x, y, r.points)) pixels.delete(key);
      }
    }
    for (const key of pixels) {
      const [x, y] = key.split(',').map(Number) as [number, number];
      out.push({ x, y, z });
    }
  }
  return out;
}

/** Area enclosed by a contour, in pixels (shoelace formula). */
function polygonArea(points: [number, number][]): number {
  let twice = 0;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    const [xi, yi] = points[i] as [number, number];
    const [xj, yj] = points[j] as [number, number];
    twice += xj * yi - xi * yj;
  }
  return Math.abs(twice) / 2;
}

/**
 * Diameter of the sphere with the volume the reader outlined (contour areas times slice spacing,
 * holes subtracted). This is how LUNA16's per-reader diameters behave: on LIDC-IDRI-0001 the four
 * readers give 24.7, 22.7, 23.3 and 24.1 mm against LUNA16's 23.35 mm mean, while the largest
 * in-plane extent would give 32-34 mm.
 */
function outlinedVolumeMm3(rois: Roi[], g: SeriesGeometry): number {
  const [sx, sy, sz] = g.spacingMm;
  let area = 0;
  for (const r of rois) area += (r.inclusion ? 1 : -1) * polygonArea(r.points);
  return Math.max(0, area) * sx * sy * sz;
}

function equivalentDiameterMm(volumeMm3: number): number {
  return Math.cbrt((6 * volumeMm3) / Math.PI);
}

/** LIDC texture 1 = non-solid (ground glass), 3 = part solid (mixed), 5 = solid; 2 and 4 lean. */
export function typeOfTexture(texture: number): NoduleType {
  return texture <= 2 ? 'ground-glass' : texture < 4 ? 'part-solid' : 'solid';
}

function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? (v[m] as number) : ((v[m - 1] as number) + (v[m] as number)) / 2;
}

function textureOf(nodule: Xml): number | null {
  const c = (Array.isArray(nodule.characteristics) ? nodule.characteristics[0] : nodule.characteristics) as
    Xml | undefined;
  const t = Number(text(c?.texture));
  return Number.isInteger(t) && t >= 1 && t <= 5 ? t : null;
}

function mean(values: Vec3[]): Vec3 {
  const s: Vec3 = [0, 0, 0];
  for (const v of values) for (let a = 0; a < 3; a++) s[a]! += v[a] as number;
  return [s[0] / values.length, s[1] / values.length, s[2] / values.length];
}

function readMarks(src: TextSource, root: Xml, g: SeriesGeometry): { readers: number; marks: ReaderMark[] } {
  const sessions = list(root.readingSession);
  const marks: ReaderMark[] = [];
  sessions.forEach((session, reader) => {
    for (const nodule of list(session.unblindedReadNodule)) {
      const id = text(nodule.noduleID);
      const rois = readRois(src, nodule);
      const contoured = rois.some((r) => r.inclusion && r.points.length > 1);
      const pixels = regionPixels(rois);
      if (pixels.length === 0) continue;
      const centerLps = mean(pixels.map((p) => pixelToWorld(g, p.x, p.y, p.z)));
      const volumeMm3 = outlinedVolumeMm3(rois, g);
      const texture = textureOf(nodule);
      marks.push(
        contoured
          ? {
              reader,
              readerMarkId: id,
              kind: 'nodule>=3mm',
              centerLps,
              diameterMm: equivalentDiameterMm(volumeMm3),
              volumeMm3,
              texture,
            }
          : {
              reader,
              readerMarkId: id,
              kind: 'nodule<3mm',
              centerLps,
              diameterMm: null,
              volumeMm3: null,
              texture,
            },
      );
    }
    for (const nn of list(session.nonNodule)) {
      const locus = (Array.isArray(nn.locus) ? nn.locus[0] : nn.locus) as Xml | undefined;
      const z = number(src, nn.imageZposition, 'imageZposition');
      const x = number(src, locus?.xCoord, 'locus xCoord');
      const y = number(src, locus?.yCoord, 'locus yCoord');
      marks.push({
        reader,
        readerMarkId: text(nn.nonNoduleID),
        kind: 'non-nodule',
        centerLps: pixelToWorld(g, x, y, z),
        diameterMm: null,
        volumeMm3: null,
        texture: null,
      });
    }
  });
  return { readers: sessions.length, marks };
}

function distance(a: Vec3, b: Vec3): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

/** Groups contoured marks of different readers whose centres are closer than the sum of their radii. */
function clusterMarks(marks: ReaderMark[]): ReaderMark[][] {
  const parent = marks.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i] as number] as number;
    return i;
  };
  for (let i = 0; i < marks.length; i++) {
    for (let j = i + 1; j < marks.length; j++) {
      const a = marks[i] as ReaderMark;
      const b = marks[j] as ReaderMark;
      if (a.reader === b.reader) continue;
      if (distance(a.centerLps, b.centerLps) < ((a.diameterMm ?? 0) + (b.diameterMm ?? 0)) / 2) {
        parent[find(i)] = find(j);
      }
    }
  }
  const groups = new Map<number, ReaderMark[]>();
  marks.forEach((m, i) => groups.set(find(i), [...(groups.get(find(i)) ?? []), m]));
  return [...groups.values()];
}

export function readLidcXml(
  src: TextSource,
  geometry: SeriesGeometry,
  opts: { minReaders?: number } = {},
): LidcAnnotations {
  const minReaders = opts.minReaders ?? DEFAULT_MIN_READERS;
  if (!Number.isInteger(minReaders) || minReaders < 1) {
    throw new PulmoLensError('ANNOTATIONS_INVALID', `readers must be a positive integer, got ${minReaders}`, {
      path: src.path,
    });
  }
  if (Math.abs(geometry.direction[8]) < 0.5) {
    throw new PulmoLensError(
      'ANNOTATIONS_INVALID',
      'LIDC marks give slice z positions; the series is not axial',
      { path: src.path },
    );
  }
  const root = parseXml(src);
  const seriesInstanceUid = lidcSeriesUid(src);
  const { readers, marks } = readMarks(src, root, geometry);
  const name = basename(src.path);
  const byPosition = (a: { centerLps: Vec3 }, b: { centerLps: Vec3 }): number =>
    a.centerLps[2] - b.centerLps[2] || a.centerLps[0] - b.centerLps[0] || a.centerLps[1] - b.centerLps[1];

  const nodules: ReferenceNodule[] = [];
  const excluded: ExcludedMark[] = [];
  const markId = (m: ReaderMark): string => `${name}:reader${m.reader + 1}:${m.readerMarkId}`;
  const clusters = clusterMarks(marks.filter((m) => m.kind === 'nodule>=3mm'));
  const accepted = clusters
    .filter((c) => new Set(c.map((m) => m.reader)).size >= minReaders)
    .map((c) => ({ centerLps: mean(c.map((m) => m.centerLps)), members: c }))
    .sort(byPosition);
  accepted.forEach((c, i) => {
    const diameters = c.members.map((m) => m.diameterMm ?? 0);
    const textures = c.members.flatMap((m) => (m.texture === null ? [] : [m.texture]));
    nodules.push({
      id: `${name}:nodule${i + 1}`,
      centerLps: c.centerLps,
      diameterMm: diameters.reduce((a, b) => a + b, 0) / diameters.length,
      ...(textures.length > 0 ? { type: typeOfTexture(median(textures)) } : {}),
      readers: c.members.map((m) => ({ diameterMm: m.diameterMm ?? 0, volumeMm3: m.volumeMm3 ?? 0 })),
    });
  });
  const acceptedMarks = new Set(accepted.flatMap((c) => c.members));
  for (const m of [...marks].sort(byPosition)) {
    if (acceptedMarks.has(m)) continue;
    excluded.push({ id: markId(m), centerLps: m.centerLps, diameterMm: m.diameterMm });
  }
  return { seriesInstanceUid, readers, nodules, excluded, marks };
}
