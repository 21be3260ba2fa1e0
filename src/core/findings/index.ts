export type {
  BelowThresholdCandidate,
  CandidateSource,
  Finding,
  FindingsDocument,
  LungRadsCategory,
  ModelRef,
  NoduleType,
} from './findings-document';
export { assembleFindings, type ClinicalInputs, type MeasuredNodule, type PatientHeader } from './assemble';
export {
  brockRisk,
  brockLogit,
  brockSizeTerm,
  BROCK_COEFFICIENTS,
  type BrockInputs,
  type Sex,
} from './brock';
export { lungRadsCategory, roundTenth, LUNG_RADS_NO_NODULE, type LungRadsInput } from './lung-rads';
export {
  fleischnerRecommendation,
  fleischnerSizeMm,
  type FleischnerInput,
  type FleischnerRisk,
} from './fleischner';
export {
  axialAxes,
  measureRegion,
  thresholdRegion,
  type MaskRegion,
  type NoduleMeasurements,
} from './measurements';
export { patientAgeYears, patientSex } from './patient';
