/**
 * The site's reviews as ground truth from the command line (issue 13):
 * `pulmolens eval --vault DIR --reviews --out OUT` scores the model on the vault's reviewed series,
 * and `pulmolens vault export-labels --out DIR` writes the labels as LUNA16 CSVs (world mm) plus
 * every per-finding decision, optionally under de-identified series UIDs; the export is audit-logged.
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { newDeidSession, remapUid } from '../../core/deid';
import {
  claimEvalFolder,
  evaluate,
  labelCsvs,
  labelRows,
  labelsSha256,
  readReviewedSeries,
  requireReviewed,
  reviewScanRecord,
  writeEvaluation,
  type Evaluation,
  type ModelEvalInfo,
} from '../../core/eval';
import { OutputWriter } from '../../core/io/safe-writer';
import { openVault, type UnlockedVault } from '../../core/vault';
import { currentPassphrase, vaultDir } from './vault-passphrase';

async function withVault<T>(
  dir: string,
  readOnly: boolean,
  fn: (v: UnlockedVault) => Promise<T>,
): Promise<T> {
  const v = await openVault(dir, await currentPassphrase(), { idleLockMs: 0, readOnly });
  try {
    return await fn(v);
  } finally {
    await v.lock();
  }
}

export interface ReviewEvalOptions {
  vault?: string;
  out: string;
  overwrite?: boolean;
  threshold?: number;
  bootstrapSamples: number;
  bootstrapSeed: number;
  modelInfo: ModelEvalInfo | null;
  includeTrainingScans: boolean;
}

/** `eval --vault DIR --reviews`: the same metrics, with the readers' decisions as the reference. */
export async function runReviewEval(o: ReviewEvalOptions): Promise<Evaluation> {
  const dir = vaultDir(o.vault);
  const labels = await withVault(dir, true, (v) => readReviewedSeries(v));
  requireReviewed(labels, dir);
  if (labels.reviewsWithoutAnalysis > 0) {
    process.stderr.write(
      `${labels.reviewsWithoutAnalysis} review(s) have no stored analysis and were not scored\n`,
    );
  }
  const rows = labels.series.flatMap(labelRows);
  const count = (d: string): number => rows.filter((r) => r.decision === d).length;
  process.stderr.write(
    `${labels.series.length} reviewed series: ${count('accepted')} accepted, ${count('edited')} edited, ` +
      `${count('hand-added')} hand-added (the misses), ${count('rejected')} rejected (confirmed false positives), ` +
      `${count('undecided')} undecided (not counted)\n`,
  );
  const records = labels.series.map(reviewScanRecord);
  await claimEvalFolder(o.out, { overwrite: o.overwrite === true });
  const sha = labelsSha256(rows);
  const evaluation = evaluate(records, {
    ...(o.threshold !== undefined ? { threshold: o.threshold } : {}),
    annotationsSha256: sha,
    bootstrapSamples: o.bootstrapSamples,
    bootstrapSeed: o.bootstrapSeed,
    modelInfo: o.modelInfo,
    includeTrainingScans: o.includeTrainingScans,
  });
  await writeEvaluation(o.out, evaluation, records, {
    schemaVersion: 1,
    annotationsSha256: sha,
    threshold: o.threshold ?? null,
    shard: null,
    cohortSeries: records.map((r) => r.seriesInstanceUid).sort(),
    modelInfo: o.modelInfo,
    includeTrainingScans: o.includeTrainingScans,
  });
  return evaluation;
}

export interface ExportLabelsOptions {
  vault?: string;
  out: string;
  overwrite?: boolean;
  deidentifyUids?: boolean;
}

export async function runExportLabels(
  o: ExportLabelsOptions,
): Promise<{ files: string[]; series: number; rows: number }> {
  const dir = vaultDir(o.vault);
  return withVault(dir, false, async (v) => {
    const labels = await readReviewedSeries(v);
    requireReviewed(labels, dir);
    const rows = labels.series.flatMap(labelRows);
    // The same keyed UID mapping as `pulmolens deidentify` (2.25.<HMAC-derived>), with this export's secret.
    const session = o.deidentifyUids ? newDeidSession('remove') : null;
    const csv = labelCsvs(rows, session ? (uid) => remapUid(session, uid) : undefined);
    const writer = new OutputWriter({ overwrite: o.overwrite === true });
    const files = await writer.writeFiles(resolve(o.out), [
      { name: 'annotations.csv', data: csv.annotations },
      { name: 'annotations_excluded.csv', data: csv.excluded },
      { name: 'decisions.csv', data: csv.decisions },
    ]);
    await v.recordEvent('study-exported', undefined, {
      what: 'review labels (export-labels)',
      series: labels.series.length,
      labels: rows.length,
      deidentifiedUids: session !== null,
      out: resolve(o.out),
    });
    return { files, series: labels.series.length, rows: rows.length };
  });
}

export function registerVaultExportLabels(vault: Command): void {
  vault
    .command('export-labels')
    .description(
      "Write the site's review decisions as labels: annotations.csv (LUNA16 form, world mm: accepted, edited and " +
        'hand-added nodules), annotations_excluded.csv (undecided findings), decisions.csv (every finding). Audit-logged.',
    )
    .option('--vault <dir>', 'vault folder (default: $PULMOLENS_VAULT)')
    .requiredOption('--out <dir>', 'folder for the CSVs')
    .option('--deidentify-uids', "replace series UIDs by de-identified ones (deidentify's 2.25 UID mapping)")
    .option('--overwrite', 'replace files of the same names in --out')
    .action(async (o: ExportLabelsOptions) => {
      const r = await runExportLabels(o);
      process.stdout.write(
        `wrote ${r.rows} label(s) of ${r.series} reviewed series: ${r.files.map((f) => join(f)).join(', ')}\n`,
      );
    });
}
