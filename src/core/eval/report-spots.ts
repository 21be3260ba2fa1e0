/**
 * The places a researcher looks at first: every missed nodule and every false positive at the
 * primary operating threshold, keyed so that key images can be made once and found again.
 */
import type { EvalMetrics, ScanMatch } from '../../common/eval';
import type { Vec3 } from '../../common/volume';

export interface ReportSpot {
  key: string;
  kind: 'miss' | 'false positive';
  seriesInstanceUid: string;
  id: string;
  centerLps: Vec3;
  diameterMm: number | null;
  probability: number | null;
}

export function reportSpots(metrics: EvalMetrics, matches: readonly ScanMatch[]): ReportSpot[] {
  const t = metrics.operatingPoint.threshold;
  const spots: ReportSpot[] = [];
  for (const scan of metrics.perScan) {
    for (const m of scan.missed) {
      spots.push({
        key: `${scan.seriesInstanceUid}/miss/${m.id}`,
        kind: 'miss',
        seriesInstanceUid: scan.seriesInstanceUid,
        id: m.id,
        centerLps: m.centerLps,
        diameterMm: m.diameterMm,
        probability: null,
      });
    }
  }
  for (const m of matches) {
    for (const c of m.candidates) {
      if (c.match.kind !== 'FP' || t === null || c.candidate.probability < t) continue;
      spots.push({
        key: `${m.seriesInstanceUid}/fp/${c.candidate.id}`,
        kind: 'false positive',
        seriesInstanceUid: m.seriesInstanceUid,
        id: c.candidate.id,
        centerLps: c.candidate.centerLps,
        diameterMm: c.candidate.diameterMm ?? null,
        probability: c.candidate.probability,
      });
    }
  }
  return spots;
}
