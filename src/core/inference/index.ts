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
  EXECUTION_PROVIDERS,
  inferenceConfig,
  inferenceEnvOverrides,
  isProviderChoice,
  parseProviderChoice,
  shippedModelsDir,
  type ExecutionProviderName,
  type InferenceConfig,
  type ModelChoice,
  type ProviderChoice,
} from './config';
export {
  loadManifest,
  readVerifiedModel,
  sha256Hex,
  type CharacterizerSpec,
  type DetectorSpec,
  type ModelManifest,
} from './manifest';
export { providerOrder, type ProviderAttempt } from './providers';
export { getRuntime, releaseRuntimes } from './runtime';
export { encodeNifti, heatmapToNifti } from './nifti';
export { heatmapMontage, hottestSlices } from './montage';
export { isTileEdge, TILE_EDGE_RANGE } from './detect';
