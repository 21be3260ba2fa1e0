/**
 * `pulmolens eval`: scores the detector on local studies against reference annotations with the
 * LUNA16 rules, and `eval --merge` combines shard folders. The scoring lives in src/core/eval; this
 * module finds the series, reads the files the user named, wires the analyser and reports progress.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { loadSeries, scanDicomInputs, type ScannedSeries } from '../../core/dicom';
import { PulmoLensError } from '../../common/errors';
import {
  coverageLines,
  loadAnnotations,
  readModelEvalInfo,
  keyImagePng,
  readSeriesUidList,
  scanInfoOf,
  subgroupTable,
  referenceCoverage,
  mergeEvaluations,
  parseShard,
  runEvaluation,
  currentModelsOf,
  type CurrentModels,
  type EvalMetrics,
  type OperatingPointMetrics,
  type OperatingPointCI95,
  type ReportSpot,
  type EvalProgress,
  type EvalStudy,
} from '../../core/eval';
import type { FindingsDocument } from '../../common/findings/findings-document';
import { analyzeSeries, loadManifest, shutdownInference, type InferenceConfig } from '../../core/inference';
import { cliInferenceConfig } from '../config';
import { progressBar } from '../progress';
import { runReviewEval } from './review-labels';

interface EvalOptions {
  studies?: string;
  annotations?: string;
  excluded?: string;
  lidcXml?: boolean;
  readers: string;
  threshold?: string;
  shard?: string;
  findings?: string;
  models?: string;
  provider?: string;
  merge?: string[];
  strict?: boolean;
  seriesuids?: string;
  includeTrainingScans?: boolean;
  bootstrap: string;
  seed: string;
  out: string;
  overwrite?: boolean;
  vault?: string;
  reviews?: boolean;
  /** commander's --no-key-images */
  keyImages?: boolean;
}

interface CliStudy extends EvalStudy {
  /** Absent when the series is known only from a precomputed findings file. */
  scanned?: ScannedSeries;
}

function invalid(message: string): PulmoLensError {
  return new PulmoLensError('INVALID_INPUT', message);
}

function parseNumber(name: string, raw: string, check: (n: number) => boolean, what: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || !check(n))
    throw invalid(`--${name} ${raw}: expected ${what}`);
  return n;
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(sec).padStart(2, '0')}s`;
}

export function progressLine(p: EvalProgress): string {
  return `scan ${p.done}/${p.total} ${p.seriesInstanceUid} (${p.source}), elapsed ${duration(p.elapsedMs)}, remaining ${duration(p.remainingMs)}`;
}

/** Every CT series under the folder, one per SeriesInstanceUID (the largest stack if one was split). */
async function studiesFromDicom(folder: string): Promise<CliStudy[]> {
  if (!existsSync(folder)) throw new PulmoLensError('NOT_FOUND', 'no such folder', { path: folder });
  const { series } = await scanDicomInputs([folder]);
  const byUid = new Map<string, ScannedSeries>();
  for (const s of series) {
    if (s.metadata.modality && s.metadata.modality !== 'CT') continue;
    const uid = s.metadata.seriesInstanceUid || s.key;
    const prev = byUid.get(uid);
    if (prev) {
      process.stderr.write(`warning: series ${uid} was split into stacks; scoring the largest\n`);
      if (prev.frames.length >= s.frames.length) continue;
    }
    byUid.set(uid, s);
  }
  if (byUid.size === 0) throw new PulmoLensError('EVAL_INVALID', 'no CT series found', { path: folder });
  return [...byUid].map(([seriesInstanceUid, scanned]) => ({
    seriesInstanceUid,
    scanned,
    scan: scanInfoOf(scanned.metadata),
  }));
}

/** Series known only from a findings folder: `<uid>.json` or `<uid>/findings.json`. */
function studiesFromFindings(dir: string): CliStudy[] {
  if (!existsSync(dir)) throw new PulmoLensError('NOT_FOUND', 'no such folder', { path: dir });
  const uids = readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isFile() && e.name.endsWith('.json')) return [e.name.slice(0, -'.json'.length)];
    if (e.isDirectory() && existsSync(join(dir, e.name, 'findings.json'))) return [e.name];
    return [];
  });
  if (uids.length === 0)
    throw new PulmoLensError('EVAL_INVALID', 'no findings files (<uid>.json) found', { path: dir });
  return uids.map((seriesInstanceUid) => ({ seriesInstanceUid }));
}

/** LIDC reader XML files: the named file, every .xml in the named folder, else those under --studies. */
function lidcXmlFiles(opts: EvalOptions): string[] {
  const seen = new Set<string>();
  // Follows symlinked folders (a cohort is often assembled from links), each real folder once.
  const walk = (dir: string): string[] => {
    const real = realpathSync(dir);
    if (seen.has(real)) return [];
    seen.add(real);
    return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = join(dir, e.name);
      if (e.isDirectory() || (e.isSymbolicLink() && isDir(p))) return walk(p);
      const xml =
        e.name.toLowerCase().endsWith('.xml') && readFileSync(p, 'utf8').includes('LidcReadMessage');
      return xml ? [p] : [];
    });
  };
  const a = opts.annotations;
  if (a && existsSync(a) && statSync(a).isDirectory()) return walk(a);
  if (a && a.toLowerCase().endsWith('.xml')) return [a];
  if (!opts.studies) throw invalid('--lidc-xml needs --studies (for the series geometry)');
  const found = walk(opts.studies);
  if (found.length === 0) {
    throw new PulmoLensError('ANNOTATIONS_INVALID', 'no LIDC-IDRI reader XML under the studies folder', {
      path: opts.studies,
    });
  }
  return found;
}

interface Analyser {
  analyze: (study: CliStudy) => Promise<FindingsDocument>;
  /** Known when the model manifest loads; cached findings from other models are then recomputed. */
  current: CurrentModels | null;
}

/**
 * The real detector (src/core/inference) for series without fresh findings. A missing or broken
 * model folder is reported only if some series actually needs analysing, so runs on precomputed
 * findings work without models.
 */
async function realAnalyser(inference: InferenceConfig, onStage: (line: string) => void): Promise<Analyser> {
  let manifestError: unknown = null;
  let current: CurrentModels | null = null;
  try {
    current = currentModelsOf(await loadManifest(inference.modelsDir));
  } catch (e) {
    manifestError = e;
  }
  const analyze = async (study: CliStudy): Promise<FindingsDocument> => {
    if (manifestError) throw manifestError;
    if (!study.scanned) {
      throw new PulmoLensError(
        'EVAL_INVALID',
        `series ${study.seriesInstanceUid} needs analysing but is known only from --findings; give --studies`,
      );
    }
    const loaded = await loadSeries(study.scanned, {
      onProgress: (p) => onStage(progressBar('decoding', p.done, p.total)),
    });
    const result = await analyzeSeries(loaded, inference, {
      onProgress: (p) => onStage(progressBar(p.stage, p.done, p.total)),
    });
    return result.document;
  };
  return { analyze, current };
}

export function summary(m: EvalMetrics, out: string): string {
  const f = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(3));
  const ci = (c: [number, number] | null | undefined): string => (c ? ` (95% CI ${f(c[0])}-${f(c[1])})` : '');
  const point = (op: OperatingPointMetrics, cis: OperatingPointCI95 | null): string =>
    `threshold ${f(op.threshold)}, recall ${f(op.recall)}${ci(cis?.recall)}, precision ${f(op.precision)}${ci(cis?.precision)}, ` +
    `F1 ${f(op.f1)}${ci(cis?.f1)}, ${f(op.fpPerScan)} FP/scan${ci(cis?.fpPerScan)} (TP ${op.tp}, FP ${op.fp}, FN ${op.fn})`;
  const t = m.trainingScans;
  const lines = [
    `${m.scans} scans, ${m.nodules} nodules, model ${m.model.name} ${m.model.version}`,
    `FROC sensitivity at ${m.froc.fpPerScan.join(', ')} FP/scan: ${m.froc.sensitivity.map(f).join(', ')}`,
    `CPM ${f(m.cpm)}${ci(m.cpmCI95)}`,
    `operating point [${m.operatingPointSource.label}]: ${point(m.operatingPoint, m.operatingPointCI95)}`,
  ];
  if (m.operatingPointSource.kind !== 'tuned') {
    lines.push(`${m.tunedOperatingPoint.label}: ${point(m.tunedOperatingPoint, null)}`);
  }
  if (m.confidenceNote) lines.push(`95% intervals ${m.confidenceNote}`);
  if (!t.listed) lines.push('training scans: the model manifest does not list them, so none can be flagged');
  else if (t.series.length > 0) {
    lines.push(
      t.inFigures
        ? `${t.series.length} training scan(s) of this model are INCLUDED in the figures (--include-training-scans): ${t.series.join(', ')}`
        : `${t.series.length} training scan(s) of this model left out of the figures (--include-training-scans to score them): ${t.series.join(', ')}`,
    );
  }
  lines.push(subgroupTable(m.subgroups));
  const d = m.sizeAgreement.diameterMm;
  const loa = d?.limitsOfAgreement;
  lines.push(
    d
      ? `size agreement (diameter, ${d.n} hit${d.n === 1 ? '' : 's'}): mean difference ${d.meanDifference.toFixed(2)} mm` +
          (loa ? `, limits of agreement ${loa[0].toFixed(2)} to ${loa[1].toFixed(2)} mm` : '') +
          `, mean absolute ${d.meanAbsoluteDifference.toFixed(2)} mm`
      : 'size agreement: no hit with a measured diameter',
  );
  lines.push(
    `wrote ${join(out, 'report.html')}, metrics.json, froc.svg/png, bland-altman.svg/png, candidates.csv`,
  );
  return lines.join('\n');
}

async function runEval(opts: EvalOptions): Promise<EvalMetrics> {
  const inference = cliInferenceConfig(opts);
  const bootstrapSamples = parseNumber(
    'bootstrap',
    opts.bootstrap,
    (n) => Number.isInteger(n) && n >= 0,
    'a count',
  );
  const bootstrapSeed = parseNumber('seed', opts.seed, Number.isInteger, 'an integer');
  const threshold =
    opts.threshold === undefined
      ? undefined
      : parseNumber('threshold', opts.threshold, (n) => n >= 0 && n <= 1, 'a probability between 0 and 1');

  if (opts.merge) {
    const { evaluation } = await mergeEvaluations({
      dirs: opts.merge,
      outDir: opts.out,
      ...(opts.overwrite ? { overwrite: true } : {}),
      threshold,
      bootstrapSamples,
      bootstrapSeed,
      ...(opts.includeTrainingScans ? { includeTrainingScans: true } : {}),
    });
    return evaluation.metrics;
  }

  if (opts.reviews || opts.vault) {
    if (!opts.reviews)
      throw invalid("--vault is used with --reviews (score against the vault's reviewed studies)");
    const { metrics } = await runReviewEval({
      ...(opts.vault !== undefined ? { vault: opts.vault } : {}),
      out: opts.out,
      ...(opts.overwrite ? { overwrite: true } : {}),
      ...(threshold !== undefined ? { threshold } : {}),
      bootstrapSamples,
      bootstrapSeed,
      modelInfo: await readModelEvalInfo(inference.modelsDir),
      includeTrainingScans: opts.includeTrainingScans === true,
    });
    return metrics;
  }

  const readers = parseNumber(
    'readers',
    opts.readers,
    (n) => Number.isInteger(n) && n >= 1,
    'a positive integer',
  );
  const shard = opts.shard === undefined ? undefined : parseShard(opts.shard);
  if (!opts.studies && !opts.findings) throw invalid('eval needs --studies <folder> (or --findings <dir>)');
  if (!opts.annotations && !opts.lidcXml) throw invalid('eval needs --annotations <csv> (or --lidc-xml)');

  if (opts.findings && !isDir(opts.findings)) {
    throw new PulmoLensError('NOT_FOUND', 'no such findings folder', { path: opts.findings });
  }
  const found = opts.studies
    ? await studiesFromDicom(opts.studies)
    : studiesFromFindings(opts.findings as string);
  const known = new Set(found.map((s) => s.seriesInstanceUid));
  const geometry = new Map(found.map((s) => [s.seriesInstanceUid, s.scanned]));
  const listed = opts.seriesuids ? await readSeriesList(opts.seriesuids) : null;
  const studies = listed ? found.filter((s) => listed.includes(s.seriesInstanceUid)) : found;
  if (listed) {
    const missing = listed.filter((uid) => !known.has(uid));
    if (opts.strict && missing.length > 0) {
      throw new PulmoLensError(
        'EVAL_INVALID',
        `${missing.length} listed series ${missing.length === 1 ? 'is' : 'are'} not among the studies (first: ${missing[0]})`,
        { path: opts.seriesuids },
      );
    }
    if (studies.length === 0) {
      throw new PulmoLensError(
        'EVAL_INVALID',
        `none of the ${listed.length} listed series is among the studies`,
        {
          path: opts.seriesuids,
        },
      );
    }
  }
  const annotationsCsv =
    opts.annotations &&
    !(opts.lidcXml && (opts.annotations.toLowerCase().endsWith('.xml') || isDir(opts.annotations)))
      ? opts.annotations
      : undefined;
  const annotations = await loadAnnotations({
    annotationsCsv,
    excludedCsv: opts.excluded,
    lidcXml: opts.lidcXml ? lidcXmlFiles(opts) : undefined,
    minReaders: readers,
    knownSeries: known,
    strict: opts.strict,
    geometryOf: (uid) => geometry.get(uid),
  });
  const coverage = {
    annotatedSeries: annotations.annotatedSeries,
    foundSeries: [...known].sort(),
    listedSeries: listed ? [...listed].sort() : null,
  };
  // Said before any analysis, so that a wrong folder or list is noticed at once.
  for (const line of coverageLines(
    referenceCoverage(
      coverage,
      studies.map((s) => s.seriesInstanceUid),
    ),
    studies.length,
  ))
    process.stderr.write(`${line}\n`);

  const tty = process.stderr.isTTY;
  // Per-stage lines only on a terminal (overwritten in place); logs get one line per scan.
  const analyser = await realAnalyser(inference, (line) => {
    if (tty) process.stderr.write(`\r\x1b[K${line}`);
  });
  const { evaluation } = await runEvaluation<CliStudy>({
    studies,
    shard,
    annotations: annotations.index,
    annotationsSha256: annotations.sha256,
    coverage,
    modelInfo: await readModelEvalInfo(inference.modelsDir),
    includeTrainingScans: opts.includeTrainingScans === true,
    outDir: opts.out,
    ...(opts.overwrite ? { overwrite: true } : {}),
    threshold,
    findingsDir: opts.findings,
    analyze: analyser.analyze,
    ...analyser.current,
    bootstrapSamples,
    bootstrapSeed,
    onProgress: (p) => process.stderr.write(`${tty ? '\r\x1b[K' : ''}${progressLine(p)}\n`),
    // Each series with a miss or a false positive is decoded once more for the report's key images.
    ...(opts.keyImages === false
      ? {}
      : {
          keyImages: async (study: CliStudy, spots: ReportSpot[]) => {
            const images = new Map<string, Uint8Array>();
            if (!study.scanned) return images;
            process.stderr.write(`key images: ${study.seriesInstanceUid} (${spots.length})\n`);
            const { volume } = await loadSeries(study.scanned);
            for (const s of spots) images.set(s.key, keyImagePng(volume, s.centerLps, s.diameterMm));
            return images;
          },
        }),
  });
  return evaluation.metrics;
}

async function readSeriesList(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new PulmoLensError(
      'ANNOTATIONS_INVALID',
      `cannot read the series list: ${(cause as Error).message}`,
      {
        path,
        cause,
      },
    );
  }
  return readSeriesUidList({ path, text });
}

function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description(
      'Score detections on local studies against reference annotations with the LUNA16 rules: FROC, CPM ' +
        'with bootstrap 95% CI, recall/precision/F1. Writes metrics.json, froc.svg, froc.png, candidates.csv.',
    )
    .option('--studies <folder>', 'folder with the CT studies (every CT series under it is a scan)')
    .option(
      '--annotations <path>',
      'LUNA16 annotations CSV (with --lidc-xml: an XML file or a folder of them)',
    )
    .option(
      '--excluded <csv>',
      'LUNA16 excluded marks CSV (hits on them are ignored; diameter -1 = not given)',
    )
    .option('--lidc-xml', 'read LIDC-IDRI reader XML (from --annotations, else found under --studies)')
    .option('--readers <k>', 'LIDC XML: readers who must mark a nodule >= 3 mm for it to count', '3')
    .option(
      '--threshold <p>',
      "operating threshold (default: the model manifest's operatingPoint; without one, the F1-maximising threshold on this set, labelled optimistic)",
    )
    .option(
      '--include-training-scans',
      'score the scans the model was trained or tuned on (manifest trainingSeriesUids) too; they are flagged either way',
    )
    .option('--shard <i/n>', 'process shard i of n (0-based; every n-th series in UID order)')
    .option('--findings <dir>', 'precomputed findings: <uid>.json or <uid>/findings.json per series')
    .option('--models <dir>', 'models folder with manifest.json (default: models/, env PULMOLENS_MODELS_DIR)')
    .option('--provider <name>', 'execution provider: auto, cuda, tensorrt, dml, coreml, webgpu, cpu')
    .option(
      '--seriesuids <csv>',
      "evaluate only the series this list names (LUNA16's seriesuids.csv: one SeriesInstanceUID a line)",
    )
    .option(
      '--strict',
      'fail when the reference files or the series list name series that are not among the studies',
    )
    // Before issue 13 unknown series were an error unless this was given; now they are left out by default.
    .addOption(new Option('--ignore-unknown-series').hideHelp())
    .option('--merge <dirs...>', 'combine the output folders of shards into --out instead of evaluating')
    .option(
      '--vault <dir>',
      'with --reviews: the vault whose reviewed studies are the reference (default: $PULMOLENS_VAULT)',
    )
    .option(
      '--reviews',
      "score against the site's reviews: accepted/edited/hand-added = nodules (hand-added = misses), rejected = false positives",
    )
    .option(
      '--no-key-images',
      'leave the key images of misses and false positives out of report.html (no decoding)',
    )
    .option('--bootstrap <n>', 'bootstrap resamples for the CPM confidence interval', '1000')
    .option('--seed <n>', 'bootstrap random seed', '1')
    .requiredOption('--out <dir>', 'output folder (resumes a run found there)')
    .option('--overwrite', 'take over a folder holding files of the same names that eval did not write')
    .action(async (opts: EvalOptions) => {
      const metrics = await runEval(opts).finally(() => shutdownInference());
      process.stdout.write(`${summary(metrics, opts.out)}\n`);
    });
}
