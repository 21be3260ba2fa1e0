/** Local nodule inference: models, execution providers, the pipeline, and its worker. */
export {
  analyzeSeries,
  shutdownInference,
  type AnalyzableSeries,
  type AnalyzeSeriesOptions,
} from './analyze';
export {
  DEFAULT_THRESHOLD,
  runAnalysis,
  type AnalysisResult,
  type AnalyzeOptions,
  type ClinicalInputs,
  type Heatmap,
  type SeriesHeader,
} from './pipeline';
export {
  defaultModelsDir,
  loadManifest,
  readVerifiedModel,
  sha256Hex,
  type CharacterizerSpec,
  type DetectorSpec,
  type ModelManifest,
} from './manifest';
export {
  EXECUTION_PROVIDERS,
  isProviderChoice,
  providerOrder,
  type ExecutionProviderName,
  type ProviderAttempt,
  type ProviderChoice,
} from './providers';
export { getRuntime, releaseRuntimes } from './runtime';
export { encodeNifti, heatmapToNifti } from './nifti';
export { heatmapMontage, hottestSlices } from './montage';
