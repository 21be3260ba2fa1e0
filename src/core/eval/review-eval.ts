/**
 * Scoring against the vault's reviews and exporting them as labels: the one implementation the
 * CLI (`eval --vault --reviews`, `vault export-labels`) and the Evaluation page both run.
 */
import { resolve } from 'node:path';
import type { ScanRecord } from '../../common/eval';
import { newDeidSession, remapUid } from '../deid';
import { OutputWriter } from '../io/safe-writer';
import type { UnlockedVault } from '../vault';
import { evaluate, type Evaluation } from './evaluate';
import type { ModelEvalInfo } from './model-info';
import { claimEvalFolder } from './output-folder';
import { writeEvaluation } from './outputs';
import {
  labelCsvs,
  labelRows,
  labelsSha256,
  readReviewedSeries,
  requireReviewed,
  reviewScanRecord,
  type LabelRow,
} from './vault-reviews';

export interface ReviewEvalOptions {
  out: string;
  overwrite?: boolean;
  threshold?: number;
  bootstrapSamples?: number;
  bootstrapSeed?: number;
  modelInfo: ModelEvalInfo | null;
  includeTrainingScans?: boolean;
}

export function decisionSummary(seriesCount: number, rows: readonly LabelRow[]): string {
  const count = (d: string): number => rows.filter((r) => r.decision === d).length;
  return (
    `${seriesCount} reviewed series: ${count('accepted')} accepted, ${count('edited')} edited, ` +
    `${count('hand-added')} hand-added (the misses), ${count('rejected')} rejected (confirmed false positives), ` +
    `${count('undecided')} undecided (not counted)`
  );
}

export async function evaluateReviews(
  vault: UnlockedVault,
  o: ReviewEvalOptions,
): Promise<{
  evaluation: Evaluation;
  records: ScanRecord[];
  summary: string;
  reviewsWithoutAnalysis: number;
}> {
  const labels = await readReviewedSeries(vault);
  requireReviewed(labels, vault.dir);
  const rows = labels.series.flatMap(labelRows);
  const records = labels.series.map(reviewScanRecord);
  await claimEvalFolder(o.out, { overwrite: o.overwrite === true });
  const sha = labelsSha256(rows);
  const includeTrainingScans = o.includeTrainingScans === true;
  const evaluation = evaluate(records, {
    ...(o.threshold !== undefined ? { threshold: o.threshold } : {}),
    annotationsSha256: sha,
    ...(o.bootstrapSamples !== undefined ? { bootstrapSamples: o.bootstrapSamples } : {}),
    ...(o.bootstrapSeed !== undefined ? { bootstrapSeed: o.bootstrapSeed } : {}),
    modelInfo: o.modelInfo,
    includeTrainingScans,
  });
  await writeEvaluation(o.out, evaluation, records, {
    schemaVersion: 1,
    annotationsSha256: sha,
    threshold: o.threshold ?? null,
    shard: null,
    cohortSeries: records.map((r) => r.seriesInstanceUid).sort(),
    modelInfo: o.modelInfo,
    includeTrainingScans,
  });
  return {
    evaluation,
    records,
    summary: decisionSummary(labels.series.length, rows),
    reviewsWithoutAnalysis: labels.reviewsWithoutAnalysis,
  };
}

export interface ExportLabelsOptions {
  out: string;
  overwrite?: boolean;
  deidentifyUids?: boolean;
}

export async function exportReviewLabels(
  vault: UnlockedVault,
  o: ExportLabelsOptions,
): Promise<{ files: string[]; series: number; labels: number }> {
  const labels = await readReviewedSeries(vault);
  requireReviewed(labels, vault.dir);
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
  await vault.recordEvent('study-exported', undefined, {
    what: 'review labels (export-labels)',
    series: labels.series.length,
    labels: rows.length,
    deidentifiedUids: session !== null,
    out: resolve(o.out),
  });
  return { files, series: labels.series.length, labels: rows.length };
}
