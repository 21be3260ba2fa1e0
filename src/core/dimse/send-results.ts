/**
 * Sending results to a destination the way every caller does it (the workspace, `pulmolens send`):
 * audit-logged; with a vault, a send the network refused or never answered is queued encrypted in
 * the vault (its retry queue), and the error says so. Also the stored-analysis source: the report
 * objects of a reviewed analysis in the vault, built in memory.
 */
import { PulmoLensError } from '../../common/errors';
import { loadSeries } from '../dicom';
import { vaultAnalysisStore } from '../findings/analysis-store';
import { vaultMeasurementStore } from '../findings/measurement-store';
import { requireReviewed, storedReportInput, type ReportInput } from '../report';
import { resolveVaultSeries, vaultFileSource, type UnlockedVault } from '../vault';
import { enqueue } from './outbox';
import { reportObjectsOf } from './report-objects';
import { peerLabel, type Destination } from './settings';
import { sendObjects, type OutgoingObject, type SendResult } from './store-scu';

export interface SendDelivery {
  callingAeTitle: string;
  timeoutSeconds: number;
  /** For the audit log and the retry queue (none: nothing is logged or queued). */
  vault: UnlockedVault | null;
  studyRef?: string | undefined;
  seriesRef?: string | undefined;
  /** How the user delivers the queue later, appended to the error of a queued send. */
  retryHint: string;
}

export async function sendOrQueue(
  objects: readonly OutgoingObject[],
  to: Destination,
  d: SendDelivery,
): Promise<SendResult> {
  const where = `${peerLabel(to)}:${to.port}`;
  try {
    const r = await sendObjects(objects, to, d);
    await d.vault?.recordEvent('study-sent', d.studyRef, { to: where, objects: r.sent }, d.seriesRef);
    return r;
  } catch (err) {
    if (!d.vault || !(err instanceof PulmoLensError) || !err.code.startsWith('DIMSE_')) throw err;
    await d.vault.recordEvent(
      'send-failed',
      d.studyRef,
      { to: where, reason: err.message, queued: true },
      d.seriesRef,
    );
    await enqueue(d.vault, objects, to, err.message, d.studyRef ?? null);
    throw new PulmoLensError(err.code, `${err.message}; queued in the vault: ${d.retryHint}`, {
      details: { ...err.details, queued: true },
    });
  }
}

export interface StoredAnalysisReport {
  key: string;
  studyRef: string;
  seriesRef: string;
  input: ReportInput;
}

/**
 * The report input of the reviewed analysis a vault reference names (series, study or analysis),
 * decoded from the vault; NOT_FOUND before an analysis, INVALID_INPUT before the review.
 */
export async function vaultAnalysisReport(
  v: UnlockedVault,
  ref: string,
  now: Date = new Date(),
): Promise<StoredAnalysisReport> {
  const rec = v.getSeries(resolveVaultSeries(v, ref));
  const store = vaultAnalysisStore({ require: () => v });
  const meta = await store.loadAnalysis(rec.key);
  if (!meta) {
    throw new PulmoLensError(
      'NOT_FOUND',
      `series ${rec.ref} has no stored analysis: run \`pulmolens analyze --vault\` (or analyse it in the app) first`,
      { path: v.dir },
    );
  }
  const review = await store.loadReview(rec.key);
  const loaded = await loadSeries(rec.scanned, { source: vaultFileSource(v) });
  const input = storedReportInput({
    loaded,
    meta,
    heatmap: await store.loadHeatmap(rec.key),
    review,
    readerMeasurements: await vaultMeasurementStore({ require: () => v }).load(rec.key),
    createdAt: now,
  });
  requireReviewed(input, rec.ref);
  return { key: rec.key, ...v.seriesLocation(rec.key), input };
}

/** Builds the report objects of a stored reviewed analysis in memory and sends them. */
export async function sendVaultAnalysis(
  v: UnlockedVault,
  ref: string,
  to: Destination,
  d: Omit<SendDelivery, 'vault' | 'studyRef' | 'seriesRef'>,
): Promise<SendResult & { key: string; studyRef: string }> {
  const r = await vaultAnalysisReport(v, ref);
  const objects = await reportObjectsOf(r.input);
  const sent = await sendOrQueue(objects, to, {
    ...d,
    vault: v,
    studyRef: r.studyRef,
    seriesRef: r.seriesRef,
  });
  return { ...sent, key: r.key, studyRef: r.studyRef };
}
