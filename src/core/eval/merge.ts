/**
 * `eval --merge`: combines shard folders by pooling their raw scan records and scoring the pool,
 * so the merged FROC, CPM, CI and operating point are exactly those of one unsharded run.
 */
import { PulmoLensError } from '../../common/errors';
import { evaluate, type Evaluation } from './evaluate';
import { writeEvaluation } from './outputs';
import { claimEvalFolder } from './output-folder';
import { readEvalFolder, type RunInfo } from './run-record';
import { sortedUnique } from './shard';
import type { CoverageSets } from './reference-coverage';
import type { ScanRecord } from '../../common/eval';

export interface MergeOptions {
  dirs: readonly string[];
  outDir: string;
  /** Take over a folder that holds eval's file names without being an eval folder (--overwrite). */
  overwrite?: boolean;
  /** Overrides the shards' threshold (which must agree otherwise). */
  threshold?: number;
  bootstrapSamples?: number;
  bootstrapSeed?: number;
  /** Overrides the shards' choice (which must agree otherwise). */
  includeTrainingScans?: boolean;
}

export async function mergeEvaluations(
  opts: MergeOptions,
): Promise<{ evaluation: Evaluation; records: ScanRecord[] }> {
  if (opts.dirs.length === 0) throw new PulmoLensError('INVALID_INPUT', '--merge needs at least one folder');
  await claimEvalFolder(opts.outDir, { overwrite: opts.overwrite === true });
  const shards = await Promise.all(opts.dirs.map(async (dir) => ({ dir, ...(await readEvalFolder(dir)) })));
  const first = shards[0]!;
  const bySeries = new Map<string, string>();
  const records: ScanRecord[] = [];
  for (const s of shards) {
    const disagree = (what: string, a: unknown, b: unknown): PulmoLensError =>
      new PulmoLensError(
        'EVAL_INVALID',
        `${what} differs from ${first.dir}'s (${String(b)} vs ${String(a)})`,
        { path: s.dir },
      );
    if (s.run.annotationsSha256 !== first.run.annotationsSha256) {
      throw disagree('annotations sha256', first.run.annotationsSha256, s.run.annotationsSha256);
    }
    if (opts.threshold === undefined && s.run.threshold !== first.run.threshold) {
      throw disagree('threshold', first.run.threshold, s.run.threshold);
    }
    if (JSON.stringify(s.run.modelInfo ?? null) !== JSON.stringify(first.run.modelInfo ?? null)) {
      throw disagree('model manifest (operating point, training scans)', 'one manifest', 'another');
    }
    if (
      opts.includeTrainingScans === undefined &&
      (s.run.includeTrainingScans ?? false) !== (first.run.includeTrainingScans ?? false)
    ) {
      throw disagree('--include-training-scans', first.run.includeTrainingScans, s.run.includeTrainingScans);
    }
    for (const r of s.records) {
      const other = bySeries.get(r.seriesInstanceUid);
      if (other) {
        throw new PulmoLensError(
          'EVAL_INVALID',
          `series ${r.seriesInstanceUid} is in both ${other} and ${s.dir}`,
          { path: s.dir },
        );
      }
      bySeries.set(r.seriesInstanceUid, s.dir);
      records.push(r);
    }
  }
  // The cohort is every series any folder was asked to cover: shards of one run share it, folders
  // of separate runs (split by hand) add theirs. A missing shard leaves some of it uncovered.
  const cohortSeries = sortedUnique(shards.flatMap((s) => s.run.cohortSeries));
  const missing = cohortSeries.filter((uid) => !bySeries.has(uid));
  if (missing.length > 0) {
    const counts = new Set(shards.map((s) => s.run.shard?.count));
    throw new PulmoLensError(
      'EVAL_INVALID',
      `${missing.length} of ${cohortSeries.length} series are in none of the folders (first: ${missing[0]})` +
        (counts.size === 1 && first.run.shard
          ? `; expected ${first.run.shard.count} shards, got ${shards.length}`
          : ''),
    );
  }
  const threshold = opts.threshold ?? first.run.threshold ?? undefined;
  const includeTrainingScans = opts.includeTrainingScans ?? first.run.includeTrainingScans ?? false;
  // Shards of one run share the sets; folders of separate runs add theirs.
  const coverage: CoverageSets | undefined = shards.every((s) => s.run.coverage)
    ? {
        annotatedSeries: sortedUnique(shards.flatMap((s) => s.run.coverage?.annotatedSeries ?? [])),
        foundSeries: sortedUnique(shards.flatMap((s) => s.run.coverage?.foundSeries ?? [])),
        listedSeries: shards.some((s) => s.run.coverage?.listedSeries)
          ? sortedUnique(shards.flatMap((s) => s.run.coverage?.listedSeries ?? []))
          : null,
      }
    : undefined;
  const evaluation = evaluate(records, {
    threshold,
    annotationsSha256: first.run.annotationsSha256,
    bootstrapSamples: opts.bootstrapSamples,
    bootstrapSeed: opts.bootstrapSeed,
    coverage,
    modelInfo: first.run.modelInfo ?? null,
    includeTrainingScans,
  });
  const run: RunInfo = {
    schemaVersion: 1,
    annotationsSha256: first.run.annotationsSha256,
    threshold: threshold ?? null,
    shard: null,
    cohortSeries,
    ...(coverage ? { coverage } : {}),
    modelInfo: first.run.modelInfo ?? null,
    includeTrainingScans,
  };
  await writeEvaluation(opts.outDir, evaluation, records, run);
  return { evaluation, records };
}
