/** Reports and exports of a reviewed analysis: PDF, DICOM SR (TID 1500), Parametric Map, JSON, CSV. */
export {
  REPORT_FILES,
  buildReportFiles,
  writeReportBundle,
  type BuiltReport,
  type ReportBundle,
} from './bundle';
export { buildMeasurementReport, COMPREHENSIVE_3D_SR_STORAGE, SR_CODES, type SrResult } from './dicom-sr';
export { buildParametricMap, PARAMETRIC_MAP_STORAGE, type PmapResult } from './parametric-map';
export { buildPdfReport, winAnsi } from './pdf-report';
export {
  encodePng,
  heatColour,
  LUNG_WINDOW,
  renderKeyImages,
  type KeyImages,
  type RgbaImage,
} from './key-image';
export {
  CT_IMAGE_STORAGE,
  DEFAULT_REPORT_THRESHOLD,
  DISCLAIMER,
  framesOfFinding,
  reportContent,
  type ReportContent,
  type ReportInput,
} from './report-input';
export { CSV_COLUMNS, FINDINGS_REVIEW_SCHEMA, findingsCsv, findingsReviewJson } from './tabular';
export { readDicom } from './dcmjs-writer';
export {
  ellipsePoints,
  READER_SR_CODES,
  readerMeasurementGroup,
  type ReaderMeasurement,
} from './reader-measurements-sr';
export { buildEncapsulatedPdf, ENCAPSULATED_PDF_STORAGE } from './encapsulated-pdf';
export { requireReviewed, storedReportInput, type StoredReportParts } from './stored-report';
