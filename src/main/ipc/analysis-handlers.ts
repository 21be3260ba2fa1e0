/**
 * Handlers of the reading workflow: run the nodule pipeline on a loaded series (in the inference
 * worker, with progress and cancel), keep its findings and heatmap in the store so a reopened
 * study shows them without re-running, save the reader's review stamped with who and when, and
 * write the report bundle where the user chose.
 */
import { isAbsolute } from 'node:path';
import { PulmoLensError } from '../../common/errors';
import type { LoadedSeries } from '../../core/dicom/types';
import {
  analyzeSeries,
  inferenceConfig,
  type AnalysisResult,
  type AnalyzeSeriesOptions,
  type InferenceConfig,
} from '../../core/inference';
import { characterizerSaliency } from '../../core/inference/saliency';
import { DEFAULT_REPORT_THRESHOLD } from '../../core/report/report-input';
import {
  REPORT_FILES,
  storedReportInput,
  writeReportBundle,
  type ReaderMeasurement,
  type ReportInput,
} from '../../core/report';
import { emptyReview, isReviewed } from '../../common/review/review';
import type { FindingsDocument } from '../../common/findings/findings-document';
import { applyClinicalChange, CLINICAL_FIELDS } from '../../common/findings/clinical-inputs';
import { stampReview } from '../../core/review/stamp';
import { osUser } from '../../core/vault/audit-log';
import type { AnalysisSummary, Saliency } from '../../shared/analysis-contract';
import type { AnalysisStore, StoredAnalysisMeta } from '../../core/findings/analysis-store';
import type { Handler, HandlerContext } from './router';

export interface AnalysisDeps {
  /** The loaded series of a key (decoding it if needed). */
  series: (key: string, ctx: HandlerContext) => Promise<LoadedSeries>;
  store: AnalysisStore;
  /** Who is recorded as reviewer (default: the OS user). */
  reviewer?: () => string;
  /** The pipeline (default: analyzeSeries in the inference worker). */
  analyze?: (
    loaded: LoadedSeries,
    config: InferenceConfig,
    opts: AnalyzeSeriesOptions,
  ) => Promise<AnalysisResult>;
  /** The entry point's inference configuration (default: the shipped models, provider auto). */
  inference?: InferenceConfig;
  /**
   * Findings at or above this probability are listed and reviewed (default: the analysis' own
   * operatingThreshold; 0.5 for analyses stored before it existed).
   */
  threshold?: number;
  saliency?: (
    loaded: LoadedSeries,
    findingId: string,
    doc: StoredAnalysisMeta,
    signal: AbortSignal,
  ) => Promise<Saliency>;
  now?: () => Date;
  /** The reader's own measurements on a series, for the SR (none when absent). */
  readerMeasurements?: (key: string) => Promise<readonly ReaderMeasurement[]>;
}

type AnalysisChannel =
  | 'analysis.run'
  | 'analysis.get'
  | 'analysis.heatmap'
  | 'analysis.saliency'
  | 'analysis.setClinical'
  | 'review.save'
  | 'report.export';

export type AnalysisHandlers = { [C in AnalysisChannel]: Handler<C> };

async function storedAnalysis(deps: AnalysisDeps, key: string): Promise<StoredAnalysisMeta> {
  const meta = await deps.store.loadAnalysis(key);
  if (!meta)
    throw new PulmoLensError('NOT_FOUND', `series ${key} has not been analysed: run analysis.run first`);
  return meta;
}

/** The report input of a series' stored analysis (what the export writes and a send transmits). */
export function reportInputLoader(
  deps: AnalysisDeps,
): (key: string, ctx: HandlerContext) => Promise<ReportInput> {
  const now = deps.now ?? (() => new Date());
  return async (key, ctx) => {
    const meta = await storedAnalysis(deps, key);
    return storedReportInput({
      loaded: await deps.series(key, ctx),
      meta,
      heatmap: await deps.store.loadHeatmap(key),
      review: await deps.store.loadReview(key),
      ...(deps.threshold !== undefined ? { threshold: deps.threshold } : {}),
      createdAt: now(),
      readerMeasurements: (await deps.readerMeasurements?.(key)) ?? [],
    });
  };
}

export function createAnalysisHandlers(deps: AnalysisDeps): AnalysisHandlers {
  const thresholdOf = (doc: FindingsDocument) =>
    deps.threshold ?? doc.operatingThreshold ?? DEFAULT_REPORT_THRESHOLD;
  const reviewer = deps.reviewer ?? osUser;
  const now = deps.now ?? (() => new Date());
  const analyze = deps.analyze ?? analyzeSeries;
  const inference = deps.inference ?? inferenceConfig();

  const summary = async (meta: StoredAnalysisMeta, stored: boolean): Promise<AnalysisSummary> => {
    const review = (await deps.store.loadReview(meta.key)) ?? emptyReview(meta.document.seriesInstanceUid);
    return {
      key: meta.key,
      document: meta.document,
      model: meta.document.model,
      executionProvider: meta.document.executionProvider,
      analysedAt: meta.analysedAt,
      heatmap: meta.heatmap,
      review,
      threshold: thresholdOf(meta.document),
      reviewer: reviewer(),
      stored,
      warnings: meta.warnings,
    };
  };

  const requireAnalysis = (key: string) => storedAnalysis(deps, key);
  const reportInput = reportInputLoader(deps);

  return {
    'analysis.run': async ({ key, provider }, ctx) => {
      const loaded = await deps.series(key, ctx);
      const result = await analyze(loaded, provider ? { ...inference, provider } : inference, {
        signal: ctx.signal,
        onProgress: (p) => ctx.progress({ done: p.done, total: p.total, stage: p.stage ?? 'analysing' }),
      });
      const { data, ...grid } = result.heatmap;
      const meta: StoredAnalysisMeta = {
        key,
        document: result.document,
        analysedAt: now().toISOString(),
        heatmap: grid,
        warnings: result.warnings,
      };
      await deps.store.saveAnalysis(meta, data);
      return summary(meta, false);
    },
    'analysis.get': async ({ key }) => {
      const meta = await deps.store.loadAnalysis(key);
      return meta ? summary(meta, true) : null;
    },
    'analysis.heatmap': async ({ key }) => {
      const h = await deps.store.loadHeatmap(key);
      if (!h) throw new PulmoLensError('NOT_FOUND', `series ${key} has no heatmap: run analysis.run first`);
      const d = h.data;
      return d.byteOffset === 0 && d.byteLength === d.buffer.byteLength && d.buffer instanceof ArrayBuffer
        ? d.buffer
        : (d.slice().buffer as ArrayBuffer);
    },
    'analysis.saliency': async ({ key, findingId }, ctx) => {
      const meta = await requireAnalysis(key);
      if (!meta.document.findings.some((f) => f.id === findingId)) {
        throw new PulmoLensError('NOT_FOUND', `series ${key} has no finding ${findingId}`);
      }
      const loaded = await deps.series(key, ctx);
      if (deps.saliency) return deps.saliency(loaded, findingId, meta, ctx.signal);
      const f = meta.document.findings.find((x) => x.id === findingId)!;
      const r = await characterizerSaliency(loaded.volume, f.centerVoxel, inference);
      return { findingId, size: r.size[2], hu: [...r.hu], map: [...r.map], baseScore: r.baseScore };
    },
    'analysis.setClinical': async ({ key, change }) => {
      const meta = await requireAnalysis(key);
      const document = applyClinicalChange(meta.document, change, reviewer(), now().toISOString());
      const corrected: StoredAnalysisMeta = { ...meta, document };
      // Which facts changed, never their values: the audit log names no patient data.
      const fields = CLINICAL_FIELDS.filter((k) => change[k] !== undefined).join(',');
      await deps.store.saveCorrectedAnalysis(corrected, {
        event: 'clinical-inputs-changed',
        details: { fields },
      });
      return summary(corrected, true);
    },
    'review.save': async (req) => {
      const meta = await requireAnalysis(req.key);
      const doc = meta.document;
      const known = new Set(doc.findings.map((f) => f.id));
      const unknown = Object.keys(req.decisions).find((id) => !known.has(id));
      if (unknown !== undefined) {
        throw new PulmoLensError(
          'INVALID_INPUT',
          `review of ${req.key}: no finding ${unknown} in its analysis`,
        );
      }
      const previous = (await deps.store.loadReview(req.key)) ?? emptyReview(doc.seriesInstanceUid);
      const review = stampReview(req, previous, reviewer(), now().toISOString());
      await deps.store.saveReview(req.key, review);
      return { review, reviewed: isReviewed(doc, review, thresholdOf(doc)) };
    },
    'report.export': async ({ key, outDir, formats, overwrite }, ctx) => {
      if (!isAbsolute(outDir)) {
        throw new PulmoLensError('INVALID_INPUT', 'the report folder must be an absolute path', {
          path: outDir,
        });
      }
      const input = await reportInput(key, ctx);
      const bundle = await writeReportBundle(outDir, input, { formats, overwrite: overwrite === true });
      const files = Object.values(bundle.paths).filter((p): p is string => p !== undefined);
      await deps.store.audit(
        'study-exported',
        {
          what: 'report',
          files: files.length,
          formats: formats.join(','),
          reviewed: bundle.content.isReviewed,
        },
        key,
      );
      return { dir: bundle.dir, files: files.sort() };
    },
  };
}

export { REPORT_FILES };
