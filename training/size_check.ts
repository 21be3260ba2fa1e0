/**
 * Size check of the nodule segmentation on the inserted nodules of known size: every nodule
 * >= 6 mm with a round margin (a sphere of diameterMm, so its true long axis and equivalent
 * diameter are both diameterMm) whose centre lies inside the lung (site_check.py's verdict in
 * <series>.sites.json where it exists, and the app's own lung mask), segmented at its true centre
 * with its true type and its true diameter as the stage-1 scale, measured with the app's calipers.
 * Reports the mean absolute error (and mean signed error) of the equivalent diameter
 * (6V/pi)^(1/3) and of the long axis against diameterMm, by type and by attachment (free,
 * juxtapleural, juxtavascular: where segmentation leaks).
 *
 *   node --import tsx training/size_check.ts [--insert training/runs/insert] \
 *     [--series LIDC-IDRI-0001-s1,LIDC-IDRI-0002-s1,...] [--out training/runs/size-check.json] \
 *     [--scale 1]
 *
 * --scale multiplies the true diameter passed as the stage-1 scale (e.g. 0.7 or 1.3), to check how
 * much the outline depends on that estimate, which in the app comes from the detector.
 *
 * The inserted series are insert_nodules.py's output (<name>/ DICOM + <name>.json truth).
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { measureRegion } from '../src/core/findings/measurements';
import { segmentCandidate } from '../src/core/inference/segment';
import type { NoduleType } from '../src/common/findings/findings-document';
import { flagValue, insertedSeries, nodulesInLung, type InsertedNodule } from './inserted-series';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => flagValue(args, name, dflt);
const insertDir = resolve(arg('insert', 'training/runs/insert'));
const out = resolve(arg('out', 'training/runs/size-check.json'));
// The insertion runs keep adding series: --series pins the set so two runs compare like with like.
const scale = Number(arg('scale', '1'));
if (!(scale > 0)) throw new Error(`--scale must be a positive number, got ${arg('scale', '1')}`);
const only = arg('series', '')
  .split(',')
  .filter((s) => s.length > 0);

interface Row {
  id: string;
  type: NoduleType;
  attachment: InsertedNodule['attachment'];
  diameterMm: number;
  eqDiameterMm: number;
  longAxisMm: number;
  shortAxisMm: number;
}

const rows: Row[] = [];
const manifests = insertedSeries(insertDir).filter((series) => only.length === 0 || only.includes(series.name));
for await (const { nodule: n, volume, inLung, centre } of nodulesInLung(
  manifests,
  (n) => n.diameterMm >= 6 && n.margin === 'round',
)) {
  const m = measureRegion(
    segmentCandidate(volume, { centre, type: n.type, extentMm: n.diameterMm * scale, inLung }),
    volume,
  );
  rows.push({
    id: n.id,
    type: n.type,
    attachment: n.attachment,
    diameterMm: n.diameterMm,
    eqDiameterMm: Math.cbrt((6 * m.volumeMm3) / Math.PI),
    longAxisMm: m.longAxisMm,
    shortAxisMm: m.shortAxisMm,
  });
}

const round = (v: number) => Math.round(v * 100) / 100;
const summary = (rs: Row[]) => {
  if (rs.length === 0) return { n: 0 };
  const err = (k: 'eqDiameterMm' | 'longAxisMm') => rs.map((r) => r[k] - r.diameterMm);
  const mae = (e: number[]) => round(e.reduce((s, v) => s + Math.abs(v), 0) / e.length);
  const bias = (e: number[]) => round(e.reduce((s, v) => s + v, 0) / e.length);
  return {
    n: rs.length,
    eqDiameterMaeMm: mae(err('eqDiameterMm')),
    eqDiameterBiasMm: bias(err('eqDiameterMm')),
    longAxisMaeMm: mae(err('longAxisMm')),
    longAxisBiasMm: bias(err('longAxisMm')),
  };
};
const byType = Object.fromEntries(
  (['solid', 'part-solid', 'ground-glass'] as const).map((t) => [t, summary(rows.filter((r) => r.type === t))]),
);
const byAttachment = Object.fromEntries(
  (['free', 'juxtapleural', 'juxtavascular'] as const).map((a) => [
    a,
    summary(rows.filter((r) => r.attachment === a)),
  ]),
);
const report = { scale, series: manifests.map((series) => series.name), all: summary(rows), byType, byAttachment, rows: rows.map((r) => ({ ...r, eqDiameterMm: round(r.eqDiameterMm), longAxisMm: round(r.longAxisMm), shortAxisMm: round(r.shortAxisMm) })) };
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify({ all: report.all, byType, byAttachment }, null, 2));
