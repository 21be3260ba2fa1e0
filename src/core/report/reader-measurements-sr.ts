/**
 * The reader's own measurements in the TID 1500 SR: one measurement group each, next to the
 * findings' groups. Lengths and bidirectional axes follow TID 1501 (a NUM inferred from its
 * SCOORD3D POLYLINE); elliptical and circular ROIs follow TID 1410 (the region as a SCOORD3D
 * ELLIPSE, with mean, standard deviation, minimum and maximum in HU and the area). Probes are points
 * with their HU. All coordinates are LPS mm in the series' frame of reference.
 */
import { ds } from './dcmjs-writer';

type Vec3 = readonly [number, number, number];

/** What the SR needs of a reader measurement (the viewer's Measurement satisfies it). */
export interface ReaderMeasurement {
  uid: string;
  stats:
    | { tool: 'Length'; lengthMm: number }
    | { tool: 'Bidirectional'; longAxisMm: number; shortAxisMm: number }
    | { tool: 'Probe'; hu: number }
    | {
        tool: 'EllipticalROI' | 'CircleROI';
        meanHu: number;
        stdDevHu: number;
        areaMm2: number;
        minHu: number;
        maxHu: number;
      };
  /** Cornerstone's handle points (LPS mm). */
  points: readonly Vec3[];
  viewPlaneNormal: Vec3;
  /** Slice index (volume order) the measurement was drawn on, when axial. */
  sliceIndex: number | null;
}

export interface Code {
  CodeValue: string;
  CodingSchemeDesignator: string;
  CodeMeaning: string;
}
type Item = Record<string, unknown>;

const code = (CodeValue: string, CodingSchemeDesignator: string, CodeMeaning: string): Code => ({
  CodeValue,
  CodingSchemeDesignator,
  CodeMeaning,
});

export const READER_SR_CODES = {
  length: code('410668003', 'SCT', 'Length'),
  longAxis: code('103339001', 'SCT', 'Long Axis'),
  shortAxis: code('103340004', 'SCT', 'Short Axis'),
  area: code('42798000', 'SCT', 'Area'),
  mean: code('373098007', 'SCT', 'Mean'),
  stdDev: code('386136009', 'SCT', 'Standard Deviation'),
  minimum: code('255605001', 'SCT', 'Minimum'),
  maximum: code('56851009', 'SCT', 'Maximum'),
  ctNumber: code('112031', 'DCM', 'Attenuation Coefficient'),
  imageRegion: code('111030', 'DCM', 'Image Region'),
  group: code('125007', 'DCM', 'Measurement Group'),
  trackingId: code('112039', 'DCM', 'Tracking Identifier'),
  trackingUid: code('112040', 'DCM', 'Tracking Unique Identifier'),
  method: code('370129005', 'SCT', 'Measurement Method'),
  manual: code('RM', '99PULMOLENS', 'Measured by the reader'),
  mm: code('mm', 'UCUM', 'millimeter'),
  mm2: code('mm2', 'UCUM', 'square millimeter'),
  hu: code("[hnsf'U]", 'UCUM', 'Hounsfield unit'),
} as const;

const C = READER_SR_CODES;

const item = (rel: string, valueType: string, concept: Code, value: Item = {}): Item => ({
  RelationshipType: rel,
  ValueType: valueType,
  ConceptNameCodeSequence: [concept],
  ...value,
});

const scoord3d = (rel: string, graphicType: string, points: readonly Vec3[], forUid: string): Item =>
  item(rel, 'SCOORD3D', C.imageRegion, {
    ReferencedFrameOfReferenceUID: forUid,
    GraphicType: graphicType,
    GraphicData: points.flatMap((p) => [...p]),
  });

const num = (concept: Code, value: number, unit: Code, children: Item[] = []): Item =>
  item('CONTAINS', 'NUM', concept, {
    MeasuredValueSequence: [{ MeasurementUnitsCodeSequence: [unit], NumericValue: ds(value) }],
    ...(children.length ? { ContentSequence: children } : {}),
  });

const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const add = (a: Vec3, b: Vec3): Vec3 => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
const scale = (a: Vec3, s: number): Vec3 => [a[0] * s, a[1] * s, a[2] * s];
const norm = (a: Vec3): number => Math.hypot(a[0], a[1], a[2]);
const cross = (a: Vec3, b: Vec3): Vec3 => [
  a[1] * b[2] - a[2] * b[1],
  a[2] * b[0] - a[0] * b[2],
  a[0] * b[1] - a[1] * b[0],
];

/**
 * The four SCOORD3D ELLIPSE points (major axis ends, then minor axis ends) of an ROI: Cornerstone's
 * ellipse handles are its four axis ends in any order; a circle is its centre and a rim point.
 */
export function ellipsePoints(m: ReaderMeasurement): Vec3[] | null {
  const p = m.points;
  if (m.stats.tool === 'CircleROI') {
    if (p.length < 2) return null;
    const [c, rim] = [p[0]!, p[1]!];
    const u = sub(rim, c);
    const r = norm(u);
    const w = cross(m.viewPlaneNormal, u);
    const nw = norm(w);
    if (r === 0 || nw === 0) return null;
    const v = scale(w, r / nw);
    return [add(c, u), sub(c, u), add(c, v), sub(c, v)];
  }
  if (p.length < 4) return null;
  const [a0, a1, b0, b1] = [p[0]!, p[1]!, p[2]!, p[3]!];
  return norm(sub(a0, a1)) >= norm(sub(b0, b1)) ? [a0, a1, b0, b1] : [b0, b1, a0, a1];
}

/** One TID 1501/1410 measurement group per reader measurement (null when its geometry is unusable). */
export function readerMeasurementGroup(
  m: ReaderMeasurement,
  index: number,
  trackingUid: string,
  forUid: string,
): Item | null {
  const children: Item[] = [
    item('HAS OBS CONTEXT', 'TEXT', C.trackingId, { TextValue: `Reader measurement ${index + 1}` }),
    item('HAS OBS CONTEXT', 'UIDREF', C.trackingUid, { UID: trackingUid }),
    item('HAS CONCEPT MOD', 'CODE', C.method, { ConceptCodeSequence: [C.manual] }),
  ];
  const s = m.stats;
  const line = (a: Vec3 | undefined, b: Vec3 | undefined) =>
    a && b ? [scoord3d('INFERRED FROM', 'POLYLINE', [a, b], forUid)] : [];
  const p = m.points;
  let template = '1501';
  switch (s.tool) {
    case 'Length':
      if (p.length < 2) return null;
      children.push(num(C.length, s.lengthMm, C.mm, line(p[0], p[1])));
      break;
    case 'Bidirectional': {
      if (p.length < 4) return null;
      // Cornerstone's first pair is the long axis; keep the SR's long axis the longer line.
      const first = norm(sub(p[0]!, p[1]!)) >= norm(sub(p[2]!, p[3]!));
      const [l0, l1, s0, s1] = first ? [p[0], p[1], p[2], p[3]] : [p[2], p[3], p[0], p[1]];
      children.push(
        num(C.longAxis, s.longAxisMm, C.mm, line(l0, l1)),
        num(C.shortAxis, s.shortAxisMm, C.mm, line(s0, s1)),
      );
      break;
    }
    case 'Probe':
      if (p.length < 1) return null;
      children.push(num(C.ctNumber, s.hu, C.hu, [scoord3d('INFERRED FROM', 'POINT', [p[0]!], forUid)]));
      break;
    case 'EllipticalROI':
    case 'CircleROI': {
      const e = ellipsePoints(m);
      if (!e) return null;
      template = '1410';
      children.push(
        scoord3d('CONTAINS', 'ELLIPSE', e, forUid),
        num(C.mean, s.meanHu, C.hu),
        num(C.stdDev, s.stdDevHu, C.hu),
        num(C.minimum, s.minHu, C.hu),
        num(C.maximum, s.maxHu, C.hu),
        num(C.area, s.areaMm2, C.mm2),
      );
      break;
    }
  }
  return item('CONTAINS', 'CONTAINER', C.group, {
    ContinuityOfContent: 'SEPARATE',
    ContentTemplateSequence: [{ MappingResource: 'DCMR', TemplateIdentifier: template }],
    ContentSequence: children,
  });
}
