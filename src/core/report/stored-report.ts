/**
 * The report of an analysis kept in a store (the vault): the series as decoded, the stored
 * findings and heatmap, the reader's review and measurements. One assembly for the report export,
 * the send from the workspace and `pulmolens send --vault`.
 */
import { PulmoLensError } from '../../common/errors';
import { emptyReview, findingsUnderReview, type StudyReview } from '../../common/review/review';
import type { LoadedSeries } from '../dicom/types';
import type { StoredAnalysisMeta } from '../findings/analysis-store';
import type { Heatmap } from '../inference/pipeline';
import type { ReaderMeasurement } from './reader-measurements-sr';
import { DEFAULT_REPORT_THRESHOLD, type ReportInput } from './report-input';

export interface StoredReportParts {
  loaded: LoadedSeries;
  meta: StoredAnalysisMeta;
  heatmap: Heatmap | null;
  review: StudyReview | null;
  readerMeasurements: readonly ReaderMeasurement[];
  /** Findings at or above it are reported (default: the analysis' operating threshold). */
  threshold?: number;
  createdAt: Date;
}

export function storedReportInput(p: StoredReportParts): ReportInput {
  const doc = p.meta.document;
  return {
    metadata: p.loaded.series.metadata,
    frames: p.loaded.series.frames,
    volume: p.loaded.volume,
    heatmap: p.heatmap,
    document: doc,
    review: p.review ?? emptyReview(doc.seriesInstanceUid),
    minProbability: p.threshold ?? doc.operatingThreshold ?? DEFAULT_REPORT_THRESHOLD,
    createdAt: p.createdAt,
    readerMeasurements: p.readerMeasurements,
  };
}

/** Results leave the workstation only after review: every listed finding needs a decision. */
export function requireReviewed(input: ReportInput, key: string): void {
  const review = input.review ?? emptyReview(input.document.seriesInstanceUid);
  const threshold = input.minProbability ?? DEFAULT_REPORT_THRESHOLD;
  const open = findingsUnderReview(input.document, threshold).filter(
    (f) => review.decisions[f.id] === undefined,
  ).length;
  if (open === 0) return;
  throw new PulmoLensError(
    'INVALID_INPUT',
    `the analysis of series ${key} is not reviewed yet: accept, edit or reject its ${open} open finding(s) first`,
  );
}
