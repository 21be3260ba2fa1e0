/** LUNA16-compatible evaluation of detections against reference annotations (issue 7). */
export {
  readLuna16Annotations,
  readLuna16Excluded,
  type TextSource,
  type CsvReadOptions,
} from './luna16-csv';
export {
  readLidcXml,
  lidcSeriesUid,
  DEFAULT_MIN_READERS,
  type SeriesGeometry,
  type LidcAnnotations,
} from './lidc-xml';
export { loadAnnotations, type AnnotationInputs, type LoadedAnnotations } from './load-annotations';
export { matchScan, EXCLUDED_DEFAULT_DIAMETER_MM } from './luna16-match';
export {
  scoreCohort,
  frocCurve,
  frocSensitivities,
  cpmOf,
  interpolate,
  type FrocCurve,
  type ScoredCohort,
} from './froc';
export { bootstrapFroc, DEFAULT_BOOTSTRAP_SAMPLES, DEFAULT_BOOTSTRAP_SEED } from './bootstrap';
export { bestF1OperatingPoint, operatingPointAt } from './operating-point';
export { evaluate, type Evaluation, type EvaluateOptions } from './evaluate';
export { readFindingsFile, checkFindingsDocument } from './findings-file';
export {
  runEvaluation,
  currentModelsOf,
  FINDINGS_CACHE_DIR,
  type CurrentModels,
  type EvalStudy,
  type EvalProgress,
  type RunEvalOptions,
} from './run-eval';
export { mergeEvaluations, type MergeOptions } from './merge';
export { parseShard, selectShard, type Shard } from './shard';
export { OUTPUT_FILES, writeEvaluation } from './outputs';
export { claimEvalFolder } from './output-folder';
export {
  evaluateReviews,
  exportReviewLabels,
  decisionSummary,
  type ReviewEvalOptions,
  type ExportLabelsOptions,
} from './review-eval';
export {
  readReviewedSeries,
  labelRows,
  reviewScanRecord,
  labelsSha256,
  labelCsvs,
  requireReviewed,
  type ReviewedSeries,
  type LabelRow,
  type LabelDecision,
  type ReviewLabels,
} from './vault-reviews';
export { keyImagePng, KEY_IMAGE_PX } from './key-image';
export { reportSpots, type ReportSpot } from './report-spots';
export { reportHtml } from './report-html';
export { scanInfoOf, ageBand, ageYearsFromAs, ageYearsFromDates } from './scan-info';
export { computeSubgroups, subgroupTable, diameterBin, thicknessBin } from './subgroups';
export { computeSizeAgreement, agreementOf } from './size-agreement';
export {
  readModelEvalInfo,
  modelEvalInfoOf,
  type ModelEvalInfo,
  type ManifestOperatingPoint,
} from './model-info';
export {
  intervalNote,
  bootstrapScans,
  MIN_NODULES_FOR_CI,
  MIN_SCANS_FOR_CI,
  type Interval,
} from './confidence';
export { readSeriesUidList, SERIES_UID_PATTERN } from './series-list';
export { referenceCoverage, coverageLines, type CoverageSets } from './reference-coverage';
export type * from '../../common/eval';
export { FROC_FP_RATES, TUNED_LABEL } from '../../common/eval';
