/**
 * What every report format is built from: the series (header, frames, HU volume), the model's
 * findings and heatmap, and the reader's review. `reportContent` decides once, for all formats,
 * which findings a report shows and what the exam category is.
 */
import type { FrameRef, SeriesMetadata } from '../dicom/types';
import type { Finding, FindingsDocument, LungRadsCategory } from '../../common/findings/findings-document';
import type { Heatmap } from '../inference/pipeline';
import {
  emptyReview,
  examLungRads,
  isReviewed,
  reviewedFindings,
  reviewContextOf,
  type ReviewContext,
  type ReviewedFinding,
  type StudyReview,
} from '../../common/review/review';
import type { Volume } from '../../common/volume';
import type { ReaderMeasurement } from './reader-measurements-sr';

export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
export const DISCLAIMER = 'Research use, not for diagnosis.';
export const DEFAULT_SOFTWARE = { name: 'PulmoLens', version: '0.1.0' } as const;

export interface ReportInput {
  metadata: SeriesMetadata;
  /** The series' frames in volume order (slot = slice index k), for SOP Instance references. */
  frames: readonly FrameRef[];
  /** SOP Class of the source images (CT Image Storage unless told otherwise). */
  sopClassUid?: string;
  volume: Volume;
  heatmap: Heatmap | null;
  document: FindingsDocument;
  /** The reader's review; absent for an unreviewed analysis (the report is then a draft). */
  review?: StudyReview;
  context?: ReviewContext;
  /**
   * Lowest model probability the reader was asked about (the operating threshold); candidates below
   * it are neither reviewed nor reported. Default: the document's operatingThreshold, else 0.5.
   */
  minProbability?: number;
  createdAt?: Date;
  software?: { name: string; version: string };
  /** The reader's own measurements on the series (calipers, ROIs), exported in the SR. */
  readerMeasurements?: readonly ReaderMeasurement[];
}

export interface ReportContent {
  review: StudyReview;
  reviewed: ReviewedFinding[];
  /** Findings the report presents: kept ones when reviewed; kept and pending ones in a draft. */
  shown: ReviewedFinding[];
  isReviewed: boolean;
  examLungRads: LungRadsCategory;
  reviewers: string[];
  createdAt: Date;
}

export const DEFAULT_REPORT_THRESHOLD = 0.5;

export function reportContent(input: ReportInput): ReportContent {
  const minProbability =
    input.minProbability ?? input.document.operatingThreshold ?? DEFAULT_REPORT_THRESHOLD;
  const context = input.context ?? reviewContextOf(input.document);
  const review = input.review ?? emptyReview(input.document.seriesInstanceUid);
  const reviewed = reviewedFindings(input.document, review, { minProbability, context });
  const reviewers = new Set<string>();
  for (const d of Object.values(review.decisions)) reviewers.add(d.reviewer);
  for (const m of review.manual) reviewers.add(m.reviewer);
  for (const n of review.notes) reviewers.add(n.reviewer);
  // With no finding to decide on, "every finding has a decision" holds vacuously; a report only
  // calls itself reviewed when a reader left a trace (a note suffices to sign off an empty exam).
  const done = isReviewed(input.document, review, minProbability) && reviewers.size > 0;
  const shown = reviewed.filter((r) => r.status !== 'rejected');
  // A draft counts pending findings as if kept, so its provisional category never understates.
  const category = examLungRads(
    done
      ? reviewed
      : reviewed.map((r) => (r.status === 'pending' ? { ...r, status: 'accepted' as const } : r)),
  );
  return {
    review,
    reviewed,
    shown,
    isReviewed: done,
    examLungRads: category,
    reviewers: [...reviewers].sort(),
    createdAt: input.createdAt ?? new Date(),
  };
}

/** Frames whose slice lies within the finding (centre slice +- half the long axis). */
export function framesOfFinding(input: ReportInput, f: Finding): FrameRef[] {
  const sz = input.volume.spacingMm[2];
  const half = Math.max(0, Math.ceil(f.longAxisMm / 2 / sz - 0.5));
  const k = Math.round(f.centerVoxel[2]);
  return input.frames.filter((fr) => fr.slot >= k - half && fr.slot <= k + half);
}
