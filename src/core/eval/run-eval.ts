/**
 * The evaluation run: for each series of this shard, get its findings (resumed from the output
 * folder, a precomputed findings folder, or the injected analyser), persist them as soon as they
 * exist, then score everything and write the results. The analyser is injected so this module
 * stays free of the models and can be driven by tests with real, precomputed findings.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PulmoLensError } from '../../common/errors';
import type { FindingsDocument } from '../../common/findings/findings-document';
import { writeFileAtomically } from './atomic-write';
import { evaluate, type Evaluation } from './evaluate';
import { candidatesOf, checkFindingsDocument, readFindingsFile } from './findings-file';
import { writeEvaluation } from './outputs';
import { reportSpots, type ReportSpot } from './report-spots';
import type { ModelManifest } from '../inference/manifest';
import { claimEvalFolder } from './output-folder';
import { SERIES_UID_PATTERN } from './series-list';
import type { RunInfo } from './run-record';
import type { ModelEvalInfo } from './model-info';
import type { CoverageSets } from './reference-coverage';
import { selectShard, sortedUnique, type Shard } from './shard';
import type { AnnotationIndex, ScanInfo, ScanNoise, ScanRecord } from '../../common/eval';

/** Per-series findings kept in the output folder: the resume state and the analysis cache. */
export const FINDINGS_CACHE_DIR = 'findings';

export interface EvalStudy {
  seriesInstanceUid: string;
  /** The series' DICOM header facts for the subgroup audit; absent when only findings are known. */
  scan?: ScanInfo;
}

export type FindingsSource = 'resumed' | 'precomputed' | 'analysed';

export interface EvalProgress {
  done: number;
  total: number;
  seriesInstanceUid: string;
  source: FindingsSource;
  elapsedMs: number;
  /** Estimated from the scans analysed so far (or, before any, from the pace so far). */
  remainingMs: number;
}

export interface RunEvalOptions<S extends EvalStudy> {
  /** Every series of the cohort (before sharding); each counts as a scan, annotated or not. */
  studies: readonly S[];
  shard?: Shard;
  annotations: AnnotationIndex;
  annotationsSha256: string;
  /** The reference files' series, the studies found and the series list (see reference-coverage). */
  coverage?: CoverageSets;
  /** The model manifest's operating point and training scans (see model-info). */
  modelInfo?: ModelEvalInfo | null;
  includeTrainingScans?: boolean;
  outDir: string;
  /** Take over a folder that holds eval's file names without being an eval folder (--overwrite). */
  overwrite?: boolean;
  threshold?: number;
  /** Runs the detector on one series; without it every series needs precomputed findings. */
  analyze?: (study: S) => Promise<FindingsDocument>;
  /** sha256 of the model `analyze` runs: cached findings from another model are recomputed. */
  currentModelSha256?: string;
  /**
   * sha256 of the characterizer `analyze` runs: the finding scores are its own, so cached findings
   * of another one (or of an unrecorded one) are recomputed even under the same detector.
   */
  currentCharacterizerSha256?: string;
  /**
   * sha256 of the second U-Net `analyze` fuses its scores with (null: it fuses none): cached
   * findings scored with another fusion, or with none where one runs now, are recomputed.
   */
  currentFusionDetectorSha256?: string | null;
  /**
   * Folder of findings.json files per series (`<uid>.json` or `<uid>/findings.json`, as written by
   * `pulmolens analyze --out <dir>/<uid>`); the analyser runs only for series without fresh ones.
   */
  findingsDir?: string;
  bootstrapSamples?: number;
  bootstrapSeed?: number;
  onProgress?: (p: EvalProgress) => void;
  /** Key images for the report (misses and false positives of one series); without it, none. */
  keyImages?: (study: S, spots: ReportSpot[]) => Promise<Map<string, Uint8Array>>;
  signal?: AbortSignal;
}

export function precomputedFindingsPath(dir: string, uid: string): string | null {
  for (const p of [join(dir, `${uid}.json`), join(dir, uid, 'findings.json')]) if (existsSync(p)) return p;
  return null;
}

async function findingsFor<S extends EvalStudy>(
  study: S,
  opts: RunEvalOptions<S>,
): Promise<{ doc: FindingsDocument; source: FindingsSource }> {
  const uid = study.seriesInstanceUid;
  const read = async (path: string | null): Promise<FindingsDocument | null> => {
    if (!path || !existsSync(path)) return null;
    const doc = await readFindingsFile(path);
    if (doc.seriesInstanceUid !== uid) {
      throw new PulmoLensError(
        'EVAL_INVALID',
        `findings are for series ${doc.seriesInstanceUid}, expected ${uid}`,
        {
          path,
        },
      );
    }
    return doc;
  };
  // Cached results count only if the current model made them (unknown model: taken as they are).
  const fresh = (doc: FindingsDocument | null): doc is FindingsDocument =>
    doc !== null &&
    (opts.currentModelSha256 === undefined || doc.model.sha256 === opts.currentModelSha256) &&
    (opts.currentCharacterizerSha256 === undefined ||
      doc.characterizer?.sha256 === opts.currentCharacterizerSha256) &&
    (opts.currentFusionDetectorSha256 === undefined ||
      (doc.fusionDetector?.sha256 ?? null) === opts.currentFusionDetectorSha256);
  // Precomputed files first, taken as given: the user chose them explicitly (another model's output,
  // a reference run), so they are scored whatever model made them.
  const precomputed = opts.findingsDir ? await read(precomputedFindingsPath(opts.findingsDir, uid)) : null;
  if (precomputed) return { doc: precomputed, source: 'precomputed' };
  const resumed = await read(join(opts.outDir, FINDINGS_CACHE_DIR, `${uid}.json`));
  if (fresh(resumed)) return { doc: resumed, source: 'resumed' };
  if (!opts.analyze) {
    throw new PulmoLensError(
      'EVAL_INVALID',
      `no findings for series ${uid}${opts.findingsDir ? ` in ${opts.findingsDir}` : ''} and no analyser to compute them`,
    );
  }
  const doc = checkFindingsDocument(await opts.analyze(study), `analysis of series ${uid}`);
  if (doc.seriesInstanceUid !== uid) {
    throw new PulmoLensError('EVAL_INVALID', `analysis returned series ${doc.seriesInstanceUid} for ${uid}`);
  }
  return { doc, source: 'analysed' };
}

/** The document's measured image noise, as the record keeps it (nothing when not measured). */
function noiseOf(doc: FindingsDocument): { noise?: ScanNoise } {
  const n = doc.imageNoise;
  if (!n?.measured) return {};
  return {
    noise: {
      noduleScaleSdHu: n.noduleScaleSdHu,
      ...(n.validatedMaxHu !== undefined ? { validatedMaxHu: n.validatedMaxHu } : {}),
      aboveValidated: n.aboveValidated,
    },
  };
}

/** The sha256 of every model the analyser runs, as the freshness check of cached findings compares them. */
export type CurrentModels = Required<
  Pick<
    RunEvalOptions<EvalStudy>,
    'currentModelSha256' | 'currentCharacterizerSha256' | 'currentFusionDetectorSha256'
  >
>;

/** A loaded manifest's models, for runEvaluation's freshness check. */
export function currentModelsOf(
  m: Pick<ModelManifest, 'detector' | 'characterizer' | 'fusion'>,
): CurrentModels {
  return {
    currentModelSha256: m.detector.sha256,
    currentCharacterizerSha256: m.characterizer.sha256,
    currentFusionDetectorSha256: m.fusion?.detector.sha256 ?? null,
  };
}

export async function runEvaluation<S extends EvalStudy>(
  opts: RunEvalOptions<S>,
): Promise<{ evaluation: Evaluation; records: ScanRecord[] }> {
  const cohortSeries = sortedUnique(opts.studies.map((s) => s.seriesInstanceUid));
  if (cohortSeries.length !== opts.studies.length) {
    throw new PulmoLensError('EVAL_INVALID', 'the same series was given twice among the studies');
  }
  // Series UIDs name files (findings/<uid>.json); DICOM UIDs are digits and dots.
  const unsafe = cohortSeries.find((uid) => !SERIES_UID_PATTERN.test(uid));
  if (unsafe !== undefined) {
    throw new PulmoLensError('EVAL_INVALID', `series UID ${JSON.stringify(unsafe)} cannot name a file`);
  }
  const mine = selectShard(opts.studies, (s) => s.seriesInstanceUid, opts.shard);
  if (mine.length === 0) {
    throw new PulmoLensError(
      'EVAL_INVALID',
      `no series to evaluate${opts.shard ? ` in shard ${opts.shard.index}/${opts.shard.count} of ${cohortSeries.length}` : ''}`,
    );
  }
  await claimEvalFolder(opts.outDir, { overwrite: opts.overwrite === true });
  const cacheDir = join(opts.outDir, FINDINGS_CACHE_DIR);
  await mkdir(cacheDir, { recursive: true });
  const started = Date.now();
  let analysedMs = 0;
  let analysed = 0;
  const records: ScanRecord[] = [];
  for (const [k, study] of mine.entries()) {
    if (opts.signal?.aborted) throw new PulmoLensError('CANCELLED', 'evaluation cancelled');
    const t0 = Date.now();
    const { doc, source } = await findingsFor(study, opts);
    if (source !== 'resumed') {
      await writeFileAtomically(
        join(cacheDir, `${study.seriesInstanceUid}.json`),
        `${JSON.stringify(doc)}\n`,
      );
    }
    if (source === 'analysed') {
      analysedMs += Date.now() - t0;
      analysed += 1;
    }
    records.push({
      seriesInstanceUid: study.seriesInstanceUid,
      model: doc.model,
      candidates: candidatesOf(doc),
      annotations: opts.annotations.get(study.seriesInstanceUid) ?? { nodules: [], excluded: [] },
      ...(study.scan ? { scan: study.scan } : {}),
      ...noiseOf(doc),
    });
    const elapsedMs = Date.now() - started;
    const left = mine.length - (k + 1);
    // Analysing dominates; before any analysis, the pace so far (reading cached findings) is all there is.
    const perScan = analysed > 0 ? analysedMs / analysed : elapsedMs / (k + 1);
    opts.onProgress?.({
      done: k + 1,
      total: mine.length,
      seriesInstanceUid: study.seriesInstanceUid,
      source,
      elapsedMs,
      remainingMs: perScan * left,
    });
  }
  const evaluation = evaluate(records, {
    threshold: opts.threshold,
    annotationsSha256: opts.annotationsSha256,
    bootstrapSamples: opts.bootstrapSamples,
    bootstrapSeed: opts.bootstrapSeed,
    coverage: opts.coverage,
    modelInfo: opts.modelInfo ?? null,
    includeTrainingScans: opts.includeTrainingScans,
  });
  const run: RunInfo = {
    schemaVersion: 1,
    annotationsSha256: opts.annotationsSha256,
    threshold: opts.threshold ?? null,
    shard: opts.shard ?? null,
    cohortSeries,
    ...(opts.coverage ? { coverage: opts.coverage } : {}),
    modelInfo: opts.modelInfo ?? null,
    includeTrainingScans: opts.includeTrainingScans === true,
  };
  const keyImages = new Map<string, Uint8Array>();
  if (opts.keyImages) {
    const spots = reportSpots(evaluation.metrics, evaluation.matches);
    for (const study of mine) {
      const here = spots.filter((s) => s.seriesInstanceUid === study.seriesInstanceUid);
      if (here.length === 0) continue;
      if (opts.signal?.aborted) throw new PulmoLensError('CANCELLED', 'evaluation cancelled');
      for (const [key, png] of await opts.keyImages(study, here)) keyImages.set(key, png);
    }
  }
  await writeEvaluation(opts.outDir, evaluation, records, run, keyImages);
  return { evaluation, records };
}
