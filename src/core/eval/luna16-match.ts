/**
 * Matching of candidates to the reference standard for one scan, following the official LUNA16
 * evaluation script (noduleCADEvaluationLUNA16.py):
 * - a candidate hits a mark when its centre lies strictly within the mark's radius (d² < r²);
 * - an excluded mark without a diameter gets 10 mm, as the script does for diameter < 0;
 * - the most probable hit on a nodule is its true positive; further hits on it are ignored;
 * - a candidate hitting only excluded marks is ignored; anything else is a false positive.
 * A candidate that is the best hit on two overlapping nodules is a TP for both, as in the script.
 */
import type { Vec3 } from '../../common/volume';
import type {
  ScoredCandidate,
  MatchedCandidate,
  NoduleOutcome,
  ScanMatch,
  ScanRecord,
} from '../../common/eval';

/** LUNA16's stand-in diameter for excluded marks that have none. */
export const EXCLUDED_DEFAULT_DIAMETER_MM = 10;

function distanceSquared(a: Vec3, b: Vec3): number {
  const dx = a[0] - b[0];
  const dy = a[1] - b[1];
  const dz = a[2] - b[2];
  return dx * dx + dy * dy + dz * dz;
}

interface Hit {
  markId: string;
  d2: number;
}

/** Among hits, the nearest mark (ties: first listed) is the one a person is pointed to. */
function nearest(hits: Hit[]): Hit | undefined {
  let best: Hit | undefined;
  for (const h of hits) if (!best || h.d2 < best.d2) best = h;
  return best;
}

export function matchScan(record: ScanRecord): ScanMatch {
  const { candidates } = record;
  const { nodules, excluded } = record.annotations;
  const noduleHits: Hit[][] = candidates.map(() => []);
  const excludedHits: Hit[][] = candidates.map(() => []);
  const tpOf: { noduleId: string; d2: number }[][] = candidates.map(() => []);

  const outcomes: NoduleOutcome[] = nodules.map((nodule) => {
    const r2 = (nodule.diameterMm / 2) ** 2;
    let best = -1;
    for (let c = 0; c < candidates.length; c++) {
      const cand = candidates[c] as ScoredCandidate;
      const d2 = distanceSquared(cand.centerLps, nodule.centerLps);
      if (d2 >= r2) continue;
      noduleHits[c]?.push({ markId: nodule.id, d2 });
      // Strict '>' keeps the first listed among equally probable hits: deterministic.
      if (best < 0 || cand.probability > (candidates[best] as ScoredCandidate).probability) best = c;
    }
    if (best < 0) return { nodule, detectedProbability: null, candidateId: null };
    const winner = candidates[best] as ScoredCandidate;
    tpOf[best]?.push({ noduleId: nodule.id, d2: distanceSquared(winner.centerLps, nodule.centerLps) });
    return { nodule, detectedProbability: winner.probability, candidateId: winner.id };
  });

  for (const mark of excluded) {
    const r2 = ((mark.diameterMm ?? EXCLUDED_DEFAULT_DIAMETER_MM) / 2) ** 2;
    for (let c = 0; c < candidates.length; c++) {
      const d2 = distanceSquared((candidates[c] as ScoredCandidate).centerLps, mark.centerLps);
      if (d2 < r2) excludedHits[c]?.push({ markId: mark.id, d2 });
    }
  }

  const matched: MatchedCandidate[] = candidates.map((candidate, c) => {
    const tps = tpOf[c] ?? [];
    if (tps.length > 0) {
      const d2 = Math.min(...tps.map((t) => t.d2));
      return {
        candidate,
        match: { kind: 'TP', noduleIds: tps.map((t) => t.noduleId), distanceMm: Math.sqrt(d2) },
      };
    }
    const dup = nearest(noduleHits[c] ?? []);
    if (dup) {
      return {
        candidate,
        match: { kind: 'ignored', reason: 'duplicate', markId: dup.markId, distanceMm: Math.sqrt(dup.d2) },
      };
    }
    const ex = nearest(excludedHits[c] ?? []);
    if (ex) {
      return {
        candidate,
        match: { kind: 'ignored', reason: 'excluded', markId: ex.markId, distanceMm: Math.sqrt(ex.d2) },
      };
    }
    return { candidate, match: { kind: 'FP' } };
  });

  return { seriesInstanceUid: record.seriesInstanceUid, candidates: matched, nodules: outcomes };
}
