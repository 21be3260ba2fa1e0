/**
 * The Evaluation page's channels: score a studies folder against LUNA16 annotations with
 * src/core/eval (the same run as `pulmolens eval`), with per-scan progress and cancel. Series that
 * have precomputed findings are read, the rest are analysed in the inference worker. Scanning and
 * decoding go through the DICOM backend (the worker thread in the app), never the main thread.
 */
import { existsSync, statSync } from 'node:fs';
import type { ScannedSeries } from '../../core/dicom';
import { PulmoLensError } from '../../common/errors';
import {
  evaluateReviews,
  exportReviewLabels,
  loadAnnotations,
  readModelEvalInfo,
  runEvaluation,
  currentModelsOf,
  scanInfoOf,
  type CurrentModels,
  type EvalStudy,
  type Evaluation,
} from '../../core/eval';
import type { UnlockedVault } from '../../core/vault';
import { analyzeSeries, inferenceConfig, loadManifest, type InferenceConfig } from '../../core/inference';
import type { EvalRunResult } from '../../shared/analysis-contract';
import type { DicomBackend } from '../dicom/dicom-backend';
import type { Handler } from './router';

export interface EvalDeps {
  backend: DicomBackend;
  /** The entry point's inference configuration (default: the shipped models, provider auto). */
  inference?: InferenceConfig;
  /** The vault session, for scoring against its reviews and exporting them as labels. */
  vault?: { require(): UnlockedVault };
}

export type EvalHandlers = {
  'eval.run': Handler<'eval.run'>;
  'eval.runReviews': Handler<'eval.runReviews'>;
  'eval.exportLabels': Handler<'eval.exportLabels'>;
  'eval.result': Handler<'eval.result'>;
};

function vaultOf(deps: EvalDeps): UnlockedVault {
  if (!deps.vault)
    throw new PulmoLensError('VAULT_LOCKED', 'no vault in this session: unlock the vault first');
  return deps.vault.require();
}

function resultOf(
  outDir: string,
  evaluation: Evaluation,
  keyOf: (uid: string) => string | undefined,
): EvalRunResult {
  const curve = evaluation.curve;
  return {
    outDir,
    metrics: evaluation.metrics,
    scans: evaluation.matches.map((m) => ({
      seriesInstanceUid: m.seriesInstanceUid,
      key: keyOf(m.seriesInstanceUid),
      candidates: m.candidates,
    })),
    curve: { fpPerScan: curve.fpPerScan, sensitivity: curve.sensitivity ?? [] },
  };
}

interface Study extends EvalStudy {
  scanned: ScannedSeries;
}

function requireExisting(path: string, what: 'file' | 'folder'): void {
  if (!existsSync(path)) throw new PulmoLensError('NOT_FOUND', `no such ${what}`, { path });
  const isDir = statSync(path).isDirectory();
  if (isDir !== (what === 'folder')) {
    throw new PulmoLensError('INVALID_INPUT', `expected a ${what}`, { path });
  }
}

export function createEvalHandlers(deps: EvalDeps): EvalHandlers {
  let last: EvalRunResult | null = null;
  const inference = deps.inference ?? inferenceConfig();

  return {
    'eval.run': async (req, ctx) => {
      requireExisting(req.studies, 'folder');
      if (req.annotations) requireExisting(req.annotations, 'file');
      if (req.excluded) requireExisting(req.excluded, 'file');
      if (req.findings) requireExisting(req.findings, 'folder');
      ctx.progress({ done: 0, total: 1, stage: 'finding series' });
      const { series } = await deps.backend.scan([req.studies], { signal: ctx.signal });
      // One scan per SeriesInstanceUID: the largest stack if a series was split.
      const byUid = new Map<string, ScannedSeries>();
      for (const s of series) {
        if (s.metadata.modality && s.metadata.modality !== 'CT') continue;
        const uid = s.metadata.seriesInstanceUid || s.key;
        const prev = byUid.get(uid);
        if (!prev || prev.frames.length < s.frames.length) byUid.set(uid, s);
      }
      if (byUid.size === 0)
        throw new PulmoLensError('EVAL_INVALID', 'no CT series found', { path: req.studies });
      const studies: Study[] = [...byUid].map(([seriesInstanceUid, scanned]) => ({
        seriesInstanceUid,
        scanned,
        scan: scanInfoOf(scanned.metadata),
      }));
      const annotations = await loadAnnotations({
        // A picked file arrives as its text (the page has no typed paths); a path is read here.
        annotationsCsv: (req.annotationsFile ?? req.annotations) as string | { name: string; text: string },
        ...(req.excludedFile || req.excluded
          ? { excludedCsv: (req.excludedFile ?? req.excluded) as string | { name: string; text: string } }
          : {}),
        // A LUNA16 CSV covers the whole challenge; a local folder holds a few of its series.
        knownSeries: new Set(byUid.keys()),
      });
      let current: CurrentModels | null = null;
      try {
        current = currentModelsOf(await loadManifest(inference.modelsDir));
      } catch {
        current = null; // only a problem if some series needs analysing
      }
      const outDir = req.outDir;
      const { evaluation } = await runEvaluation<Study>({
        studies,
        annotations: annotations.index,
        annotationsSha256: annotations.sha256,
        outDir,
        ...(req.threshold !== undefined ? { threshold: req.threshold } : {}),
        ...(req.findings ? { findingsDir: req.findings } : {}),
        ...current,
        // The manifest's operating point is primary and its training scans are left out (issue 13).
        modelInfo: await readModelEvalInfo(inference.modelsDir),
        ...(req.includeTrainingScans ? { includeTrainingScans: true } : {}),
        signal: ctx.signal,
        analyze: async (study) => {
          const loaded = await deps.backend.load(study.scanned, { signal: ctx.signal });
          const r = await analyzeSeries(loaded, inference, { signal: ctx.signal });
          return r.document;
        },
        onProgress: (p) =>
          ctx.progress({
            done: p.done,
            total: p.total,
            stage: `scan ${p.done}/${p.total} (${p.source}), ~${Math.round(p.remainingMs / 1000)} s left`,
          }),
      });
      last = resultOf(outDir, evaluation, (uid) => byUid.get(uid)?.key);
      return last;
    },
    'eval.runReviews': async (req, ctx) => {
      const vault = vaultOf(deps);
      ctx.progress({ done: 0, total: 1, stage: 'reading the reviews' });
      const { evaluation } = await evaluateReviews(vault, {
        out: req.outDir,
        ...(req.threshold !== undefined ? { threshold: req.threshold } : {}),
        modelInfo: await readModelEvalInfo(inference.modelsDir),
        includeTrainingScans: req.includeTrainingScans === true,
      });
      ctx.progress({ done: 1, total: 1, stage: 'done' });
      last = resultOf(req.outDir, evaluation, () => undefined);
      return last;
    },
    'eval.exportLabels': (req) =>
      exportReviewLabels(vaultOf(deps), { out: req.outDir, deidentifyUids: req.deidentifyUids }),
    'eval.result': () => last,
  };
}
