/**
 * Scores a cohort of scan records into metrics.json (issue 7's schema, extended by issue 13), plus
 * what the plots and the candidate CSV need. Pure: the same records give the same result, which is
 * what lets shards be merged by recomputation instead of averaging.
 */
import { PulmoLensError } from '../../common/errors';
import type { ModelRef } from '../../common/findings/findings-document';
import {
  bootstrapFroc,
  DEFAULT_BOOTSTRAP_SAMPLES,
  DEFAULT_BOOTSTRAP_SEED,
  type BootstrapResult,
} from './bootstrap';
import { bootstrapScans, intervalNote } from './confidence';
import { cpmOf, frocCurve, frocSensitivities, scoreCohort, type FrocCurve, type ScoredCohort } from './froc';
import { matchScan } from './luna16-match';
import type { ModelEvalInfo } from './model-info';
import { bestF1OperatingPoint, operatingPointAt, talliesAt, weightedPoint } from './operating-point';
import { referenceCoverage, type CoverageSets } from './reference-coverage';
import { computeSizeAgreement } from './size-agreement';
import { computeSubgroups } from './subgroups';
import {
  FROC_FP_RATES,
  TUNED_LABEL,
  type EvalMetrics,
  type OperatingPointMetrics,
  type OperatingPointCI95,
  type OperatingPointSource,
  type PerScanMetrics,
  type ScanMatch,
  type ScanRecord,
} from '../../common/eval';

export interface EvaluateOptions {
  /** Fixed operating threshold (--threshold); overrides the model manifest's. */
  threshold?: number;
  annotationsSha256: string;
  bootstrapSamples?: number;
  bootstrapSeed?: number;
  /** What the reference files and the studies held; without it, the records are all there was. */
  coverage?: CoverageSets;
  /** The model manifest's operating point and training scans (applies only to its own detector). */
  modelInfo?: ModelEvalInfo | null;
  /** Score the model's training scans too (they are flagged either way). */
  includeTrainingScans?: boolean;
}

export interface Evaluation {
  metrics: EvalMetrics;
  /** The scored scans (training scans left out unless included). */
  matches: ScanMatch[];
  curve: FrocCurve;
  bootstrap: BootstrapResult;
}

function sameModel(a: ModelRef, b: ModelRef): boolean {
  return a.name === b.name && a.version === b.version && a.sha256 === b.sha256;
}

function perScan(match: ScanMatch, threshold: number | null, trainingScan: boolean): PerScanMetrics {
  const above = (p: number | null): boolean => p !== null && threshold !== null && p >= threshold;
  const found = match.nodules.filter((n) => above(n.detectedProbability));
  const missed = match.nodules.filter((n) => !above(n.detectedProbability));
  return {
    seriesInstanceUid: match.seriesInstanceUid,
    trainingScan,
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

function checkRecords(records: readonly ScanRecord[]): ScanRecord {
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
  return first;
}

/** The primary threshold: the one given, else the manifest's for its own model, else tuned here. */
function primarySource(
  opts: EvaluateOptions,
  manifest: ModelEvalInfo | null,
  manifestOfOtherModel: boolean,
): { threshold: number | null; source: OperatingPointSource } {
  if (opts.threshold !== undefined) {
    return {
      threshold: opts.threshold,
      source: { kind: 'command line', label: 'threshold given (--threshold)' },
    };
  }
  const op = manifest?.operatingPoint;
  if (op) {
    const how = [op.chosenOn && `chosen on ${op.chosenOn}`, op.criterion].filter(Boolean).join(', ');
    return {
      threshold: op.threshold,
      source: { kind: 'manifest', label: `model manifest operating point${how ? ` (${how})` : ''}` },
    };
  }
  const why = manifestOfOtherModel
    ? 'the model manifest describes another model'
    : manifest
      ? 'the model manifest gives no operating point'
      : 'no model manifest';
  return { threshold: null, source: { kind: 'tuned', label: `${TUNED_LABEL}: ${why}` } };
}

function operatingPointIntervals(
  cohort: ScoredCohort,
  threshold: number | null,
  samples: number,
  seed: number,
): OperatingPointCI95 {
  const tallies = talliesAt(cohort, threshold);
  const at = (w: Float64Array): OperatingPointMetrics => weightedPoint(tallies, w, threshold);
  return bootstrapScans(
    cohort.scans,
    {
      recall: (w) => at(w).recall,
      precision: (w) => at(w).precision,
      f1: (w) => at(w).f1,
      fpPerScan: (w) => at(w).fpPerScan,
    },
    { samples, seed },
  );
}

export function evaluate(records: readonly ScanRecord[], opts: EvaluateOptions): Evaluation {
  const first = checkRecords(records);
  if (opts.threshold !== undefined && !(opts.threshold >= 0 && opts.threshold <= 1)) {
    throw new PulmoLensError('EVAL_INVALID', `threshold must be between 0 and 1, got ${opts.threshold}`);
  }
  const info = opts.modelInfo ?? null;
  // The manifest speaks for its own detector only: findings of another model are scored without it.
  const manifest = info && info.detectorSha256 === first.model.sha256 ? info : null;
  const trainingList = new Set(manifest?.trainingSeriesUids ?? []);
  const sorted = [...records].sort((a, b) => (a.seriesInstanceUid < b.seriesInstanceUid ? -1 : 1));
  const trainingSeries = sorted.map((r) => r.seriesInstanceUid).filter((u) => trainingList.has(u));
  const includeTraining = opts.includeTrainingScans === true;
  const scored = includeTraining ? sorted : sorted.filter((r) => !trainingList.has(r.seriesInstanceUid));
  if (scored.length === 0) {
    throw new PulmoLensError(
      'EVAL_INVALID',
      `all ${sorted.length} series are scans the model was trained or tuned on (model manifest trainingSeriesUids); ` +
        'give --include-training-scans to score them anyway',
    );
  }
  const samples = opts.bootstrapSamples ?? DEFAULT_BOOTSTRAP_SAMPLES;
  const seed = opts.bootstrapSeed ?? DEFAULT_BOOTSTRAP_SEED;
  const matches = scored.map(matchScan);
  const cohort = scoreCohort(matches);
  const curve = frocCurve(cohort);
  const sensitivity = frocSensitivities(curve);
  const nodules = cohort.lesionsPerScan.reduce((a, b) => a + b, 0);
  const confidenceNote = intervalNote(nodules, cohort.scans);
  const bootstrap: BootstrapResult =
    confidenceNote === null
      ? bootstrapFroc(cohort, { samples, seed })
      : { cpmCI95: null, sensitivityCI95: null, usedSamples: 0 };
  const tuned = bestF1OperatingPoint(cohort);
  const primary = primarySource(opts, manifest, info !== null && manifest === null);
  const op = primary.threshold === null ? tuned : operatingPointAt(cohort, primary.threshold);
  const metrics: EvalMetrics = {
    scans: cohort.scans,
    nodules,
    froc: { fpPerScan: [...FROC_FP_RATES], sensitivity: sensitivity ?? FROC_FP_RATES.map(() => null) },
    cpm: cpmOf(sensitivity),
    cpmCI95: bootstrap.cpmCI95,
    operatingPoint: op,
    operatingPointSource: primary.source,
    operatingPointCI95:
      confidenceNote === null ? operatingPointIntervals(cohort, op.threshold, samples, seed) : null,
    tunedOperatingPoint: { ...tuned, label: TUNED_LABEL },
    confidenceNote,
    trainingScans: {
      listed: manifest?.trainingSeriesUids != null,
      series: trainingSeries,
      inFigures: includeTraining,
    },
    perScan: matches.map((m) => perScan(m, op.threshold, trainingList.has(m.seriesInstanceUid))),
    model: { name: first.model.name, version: first.model.version, sha256: first.model.sha256 },
    data: { annotationsSha256: opts.annotationsSha256, series: scored.map((r) => r.seriesInstanceUid) },
    reference: referenceCoverage(
      opts.coverage ?? coverageOfRecords(sorted),
      sorted.map((r) => r.seriesInstanceUid),
    ),
    subgroups: computeSubgroups(scored, matches, op.threshold, { samples, seed }),
    sizeAgreement: computeSizeAgreement(scored, matches, op.threshold),
  };
  return { metrics, matches, curve, bootstrap };
}
