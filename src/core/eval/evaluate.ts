/**
 * Scores a cohort of scan records into metrics.json (issue 7's schema), plus what the plot and the
 * candidate CSV need. Pure: the same records give the same result, which is what lets shards be
 * merged by recomputation instead of averaging.
 */
import { PulmoLensError } from '../../common/errors';
import type { ModelRef } from '../../common/findings/findings-document';
import { bootstrapFroc, type BootstrapResult } from './bootstrap';
import { cpmOf, frocCurve, frocSensitivities, scoreCohort, type FrocCurve } from './froc';
import { matchScan } from './luna16-match';
import { referenceCoverage, type CoverageSets } from './reference-coverage';
import { bestF1OperatingPoint, operatingPointAt } from './operating-point';
import {
  FROC_FP_RATES,
  type EvalMetrics,
  type PerScanMetrics,
  type ScanMatch,
  type ScanRecord,
} from '../../common/eval';

export interface EvaluateOptions {
  /** Fixed operating threshold; without it the F1-maximising one is chosen. */
  threshold?: number;
  annotationsSha256: string;
  bootstrapSamples?: number;
  bootstrapSeed?: number;
  /** What the reference files and the studies held; without it, the records are all there was. */
  coverage?: CoverageSets;
}

export interface Evaluation {
  metrics: EvalMetrics;
  matches: ScanMatch[];
  curve: FrocCurve;
  bootstrap: BootstrapResult;
}

function sameModel(a: ModelRef, b: ModelRef): boolean {
  return a.name === b.name && a.version === b.version && a.sha256 === b.sha256;
}

function perScan(match: ScanMatch, threshold: number | null): PerScanMetrics {
  const above = (p: number | null): boolean => p !== null && threshold !== null && p >= threshold;
  const found = match.nodules.filter((n) => above(n.detectedProbability));
  const missed = match.nodules.filter((n) => !above(n.detectedProbability));
  return {
    seriesInstanceUid: match.seriesInstanceUid,
    tp: found.length,
    fp: match.candidates.filter((c) => c.match.kind === 'FP' && above(c.candidate.probability)).length,
    fn: missed.length,
    missed: missed.map(({ nodule }) => ({
      id: nodule.id,
      centerLps: nodule.centerLps,
      diameterMm: nodule.diameterMm,
    })),
  };
}

/** Coverage when only the records are known: a series is annotated when it has any reference mark. */
export function coverageOfRecords(records: readonly ScanRecord[]): CoverageSets {
  return {
    annotatedSeries: records
      .filter((r) => r.annotations.nodules.length + r.annotations.excluded.length > 0)
      .map((r) => r.seriesInstanceUid),
    foundSeries: records.map((r) => r.seriesInstanceUid),
    listedSeries: null,
  };
}

export function evaluate(records: readonly ScanRecord[], opts: EvaluateOptions): Evaluation {
  const first = records[0];
  if (!first) throw new PulmoLensError('EVAL_INVALID', 'no scans to evaluate');
  const seen = new Set<string>();
  for (const r of records) {
    if (seen.has(r.seriesInstanceUid)) {
      throw new PulmoLensError('EVAL_INVALID', `series ${r.seriesInstanceUid} appears twice`);
    }
    seen.add(r.seriesInstanceUid);
    if (!sameModel(r.model, first.model)) {
      throw new PulmoLensError(
        'EVAL_INVALID',
        `series ${r.seriesInstanceUid} was analysed by model ${r.model.name} ${r.model.version} (${r.model.sha256}), ` +
          `series ${first.seriesInstanceUid} by ${first.model.name} ${first.model.version} (${first.model.sha256}): one evaluation scores one model`,
      );
    }
  }
  if (opts.threshold !== undefined && !(opts.threshold >= 0 && opts.threshold <= 1)) {
    throw new PulmoLensError('EVAL_INVALID', `threshold must be between 0 and 1, got ${opts.threshold}`);
  }
  const sorted = [...records].sort((a, b) => (a.seriesInstanceUid < b.seriesInstanceUid ? -1 : 1));
  const matches = sorted.map(matchScan);
  const cohort = scoreCohort(matches);
  const curve = frocCurve(cohort);
  const sensitivity = frocSensitivities(curve);
  const bootstrap = bootstrapFroc(cohort, { samples: opts.bootstrapSamples, seed: opts.bootstrapSeed });
  const op =
    opts.threshold === undefined ? bestF1OperatingPoint(cohort) : operatingPointAt(cohort, opts.threshold);
  const metrics: EvalMetrics = {
    scans: cohort.scans,
    nodules: cohort.lesionsPerScan.reduce((a, b) => a + b, 0),
    froc: { fpPerScan: [...FROC_FP_RATES], sensitivity: sensitivity ?? FROC_FP_RATES.map(() => null) },
    cpm: cpmOf(sensitivity),
    cpmCI95: bootstrap.cpmCI95,
    operatingPoint: op,
    perScan: matches.map((m) => perScan(m, op.threshold)),
    model: { name: first.model.name, version: first.model.version, sha256: first.model.sha256 },
    data: { annotationsSha256: opts.annotationsSha256, series: sorted.map((r) => r.seriesInstanceUid) },
    reference: referenceCoverage(
      opts.coverage ?? coverageOfRecords(sorted),
      sorted.map((r) => r.seriesInstanceUid),
    ),
  };
  return { metrics, matches, curve, bootstrap };
}
