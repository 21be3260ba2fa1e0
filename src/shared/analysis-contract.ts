/**
 * The analysis, review, report and evaluation channels of the IPC contract (issues 6 and 7). Kept
 * in their own module and spread into src/shared/ipc-contract so the reading workflow can grow
 * without touching the viewer's contract. Domain types and the review schema come from src/common.
 */
import { z } from 'zod';
import type { FindingsDocument, ModelRef } from '../common/findings/findings-document';
import type { StudyReview } from '../common/review/review';
import { reviewInputParts } from '../common/review/review-schema';
import type { EvalMetrics, MatchedCandidate } from '../common/eval';
import type { VolumeGeometry } from '../common/volume';
import { REPORT_FORMATS } from '../common/report';
import { CLINICAL_FIELDS, ENTERED_AGE_RANGE } from '../common/findings/clinical-inputs';
import { optionalTaskId, pathSchema, seriesKeySchema } from './fields';

const taskId = optionalTaskId;
const seriesKey = seriesKeySchema;
const path = pathSchema;

/** A CSV the researcher picked in the page (<input type=file>), sent as its text: no typed path. */
const csvFile = z
  .object({ name: z.string().min(1).max(255), text: z.string().max(64 * 1024 * 1024) })
  .strict();

export const analysisSchemas = {
  /** Runs the nodule pipeline on a loaded series in the background; stores the result. */
  'analysis.run': z
    .object({
      key: seriesKey,
      taskId,
      provider: z.enum(['auto', 'cpu', 'cuda', 'tensorrt', 'dml', 'coreml', 'webgpu']).optional(),
    })
    .strict(),
  /** The stored analysis of a series (null when it was never analysed). */
  'analysis.get': z.object({ key: seriesKey }).strict(),
  /** The heatmap voxels: Uint8 probability x 255 on the series grid (index i + j*nx + k*nx*ny). */
  'analysis.heatmap': z.object({ key: seriesKey }).strict(),
  /** Occlusion sensitivity of the characterizer on the finding's cube. */
  'analysis.saliency': z.object({ key: seriesKey, findingId: z.string().min(1).max(64), taskId }).strict(),
  /** Stores the reader's review; every decision is stamped with the OS user and time, audit-logged. */
  'review.save': z
    .object({
      key: seriesKey,
      decisions: reviewInputParts.decisions,
      manual: z.array(reviewInputParts.manualFinding).max(500).default([]),
      notes: z.array(reviewInputParts.note).max(1000).default([]),
    })
    .strict(),
  /**
   * The reader's correction of the patient facts the analysis used: stored in the vault as entered
   * by the reader who unlocked it, audit-logged; every finding's Brock risk and Fleischner advice
   * follow. Answers the updated analysis.
   */
  'analysis.setClinical': z
    .object({
      key: seriesKey,
      change: z
        .object({
          ageYears: z
            .number()
            .int('age in whole years')
            .min(ENTERED_AGE_RANGE.min, `age from ${ENTERED_AGE_RANGE.min} years`)
            .max(ENTERED_AGE_RANGE.max, `age up to ${ENTERED_AGE_RANGE.max} years`)
            .optional(),
          sex: z.enum(['female', 'male']).optional(),
          familyHistory: z.boolean().optional(),
          emphysema: z.boolean().optional(),
          fleischnerRisk: z.enum(['low', 'high', 'unknown']).optional(),
        })
        .strict()
        .refine((c) => CLINICAL_FIELDS.some((k) => c[k] !== undefined), 'change at least one clinical input'),
    })
    .strict(),
  /** Writes the report bundle into the folder the user chose; audit-logged. */
  'report.export': z
    .object({
      key: seriesKey,
      outDir: path,
      formats: z
        .array(z.enum(REPORT_FORMATS))
        .min(1)
        .max(5)
        .default([...REPORT_FORMATS]),
      /** The user confirmed replacing files already in the folder (else OUTPUT_EXISTS names one). */
      overwrite: z.boolean().optional(),
    })
    .strict(),
  /** LUNA16 evaluation of a studies folder against annotations; progress per scan. */
  'eval.run': z
    .object({
      studies: path,
      /** The reference as a path (CLI-like callers) or as a picked file; exactly one. */
      annotations: path.optional(),
      annotationsFile: csvFile.optional(),
      excluded: path.optional(),
      excludedFile: csvFile.optional(),
      threshold: z.number().min(0).max(1).optional(),
      /** Precomputed findings (<uid>.json or <uid>/findings.json): series found there are not analysed. */
      findings: path.optional(),
      /** Score the model's own training scans too (model manifest trainingSeriesUids); flagged either way. */
      includeTrainingScans: z.boolean().optional(),
      /**
       * Where metrics.json, the plots and the candidate CSV go: a folder the researcher chooses.
       * Required: the results name series, and nothing with patient data goes to temp folders.
       */
      outDir: path,
      taskId,
    })
    .strict()
    .refine((r) => (r.annotations === undefined) !== (r.annotationsFile === undefined), {
      message: 'give the annotation CSV once: annotations (a path) or annotationsFile (a picked file)',
    })
    .refine((r) => !(r.excluded !== undefined && r.excludedFile !== undefined), {
      message: 'give the excluded CSV once',
    }),
  /** Scores the model against the unlocked vault's reviewed studies (issue 13). */
  'eval.runReviews': z
    .object({
      threshold: z.number().min(0).max(1).optional(),
      includeTrainingScans: z.boolean().optional(),
      outDir: path,
      taskId,
    })
    .strict(),
  /** Writes the vault's review decisions as LUNA16 CSV labels (audit-logged). */
  'eval.exportLabels': z.object({ outDir: path, deidentifyUids: z.boolean() }).strict(),
  /** The last evaluation of this session (null before any). */
  'eval.result': z.object({}).strict(),
} as const;

export interface AnalysisSummary {
  key: string;
  document: FindingsDocument;
  model: ModelRef;
  executionProvider: string;
  /** When the analysis ran (ISO 8601). */
  analysedAt: string;
  /** The heatmap's grid (the series grid). */
  heatmap: VolumeGeometry;
  review: StudyReview;
  /** The operating threshold: findings at or above it are listed and reviewed. */
  threshold: number;
  /** The OS user who will be recorded as reviewer. */
  reviewer: string;
  /** True when this came from the store rather than a fresh run. */
  stored: boolean;
  warnings: string[];
}

export interface Saliency {
  findingId: string;
  /** Cube edge in voxels; `hu` and `map` are size x size (the axial centre slice), row-major. */
  size: number;
  hu: number[];
  /** Score drop when that area is occluded, normalised to 0..1 (1 = drove the score most). */
  map: number[];
  /** The characterizer's nodule score on the unoccluded cube. */
  baseScore: number;
}

export interface EvalScanRow {
  seriesInstanceUid: string;
  /** The scanned series key, to open it in the viewer (absent for findings-only series). */
  key?: string;
  candidates: MatchedCandidate[];
}

export interface EvalRunResult {
  outDir: string;
  metrics: EvalMetrics;
  scans: EvalScanRow[];
  /** The FROC curve, every point (the plot); `metrics.froc` holds LUNA16's seven. */
  curve: { fpPerScan: number[]; sensitivity: number[] };
}

export interface AnalysisResponses {
  'analysis.run': AnalysisSummary;
  'analysis.get': AnalysisSummary | null;
  'analysis.heatmap': ArrayBuffer;
  'analysis.saliency': Saliency;
  'analysis.setClinical': AnalysisSummary;
  'review.save': { review: StudyReview; reviewed: boolean };
  'report.export': { dir: string; files: string[] };
  'eval.run': EvalRunResult;
  'eval.runReviews': EvalRunResult;
  'eval.exportLabels': { files: string[]; series: number; labels: number };
  'eval.result': EvalRunResult | null;
}
