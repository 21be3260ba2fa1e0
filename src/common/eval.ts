import type { Vec3 } from './volume';
import type { ModelRef, NoduleType } from './findings/findings-document';

/**
 * A reference nodule that counts: detecting it is a true positive, missing it a false negative.
 * `id` tells a person where it came from (file and line, or LIDC cluster), so a miss can be traced.
 */
export interface ReferenceNodule {
  id: string;
  centerLps: Vec3;
  diameterMm: number;
  /** Where the reference gives it (LIDC XML: the readers' median texture rating). */
  type?: NoduleType;
  /** LIDC XML: each reader's contour-derived size, for size agreement and reader spread. */
  readers?: ReaderSize[];
}

/** One reader's outline of a nodule, measured from the contours. */
export interface ReaderSize {
  diameterMm: number;
  volumeMm3: number;
}

/**
 * A mark that counts neither way (LUNA16 "excluded"): a candidate that hits only such marks is
 * ignored. `diameterMm` is null when the source did not give one (LUNA16 writes -1).
 */
export interface ExcludedMark {
  id: string;
  centerLps: Vec3;
  diameterMm: number | null;
}

/** Reference standard for one series. */
export interface ScanAnnotations {
  nodules: ReferenceNodule[];
  excluded: ExcludedMark[];
}

/** Reference standard for a cohort, keyed by SeriesInstanceUID. */
export type AnnotationIndex = Map<string, ScanAnnotations>;

/** One detector output, as scored: only the centre and the probability matter to LUNA16. */
export interface ScoredCandidate {
  id: string;
  centerLps: Vec3;
  probability: number;
  /** The app's measurement of the finding (absent for bare candidates): size agreement, subgroups. */
  diameterMm?: number;
  volumeMm3?: number;
  type?: NoduleType;
}

/**
 * What a scan's DICOM headers say, for the bias audit. Age is kept as a band only: the results
 * folder needs no more than the subgroup.
 */
export interface ScanInfo {
  sliceThicknessMm: number | null;
  manufacturer: string;
  convolutionKernel: string;
  /** DICOM PatientSex (M, F, O) or '' when not given. */
  patientSex: string;
  /** e.g. '60-69'; '' when neither PatientAge nor birth and study dates are given. */
  ageBand: string;
}

/**
 * The analysis' image-noise figure of a scan (findings.json imageNoise, when measured) against
 * the noise its models were validated at, for the audit of noisy (low-dose) scans.
 */
export interface ScanNoise {
  noduleScaleSdHu: number;
  validatedMaxHu?: number;
  aboveValidated: boolean;
}

/** Everything needed to score one scan, and nothing else: what shards save and merge reads back. */
export interface ScanRecord {
  seriesInstanceUid: string;
  model: ModelRef;
  candidates: ScoredCandidate[];
  annotations: ScanAnnotations;
  /** Absent when the series is known only from findings files (no DICOM headers read). */
  scan?: ScanInfo;
  /** Absent when the findings document has no measured image noise (older or phantom analyses). */
  noise?: ScanNoise;
}

export type CandidateMatch =
  /** The highest-probability hit on at least one reference nodule. */
  | { kind: 'TP'; noduleIds: string[]; distanceMm: number }
  /** Hits a reference nodule that another, more probable candidate already claims. */
  | { kind: 'ignored'; reason: 'duplicate'; markId: string; distanceMm: number }
  /** Hits only excluded marks. */
  | { kind: 'ignored'; reason: 'excluded'; markId: string; distanceMm: number }
  | { kind: 'FP' };

export interface MatchedCandidate {
  candidate: ScoredCandidate;
  match: CandidateMatch;
}

/** The outcome of one included nodule: the probability of its best hit, or null when missed. */
export interface NoduleOutcome {
  nodule: ReferenceNodule;
  detectedProbability: number | null;
  candidateId: string | null;
}

export interface ScanMatch {
  seriesInstanceUid: string;
  candidates: MatchedCandidate[];
  nodules: NoduleOutcome[];
}

/** LUNA16's seven FROC abscissae, in false positives per scan. */
export const FROC_FP_RATES = [0.125, 0.25, 0.5, 1, 2, 4, 8] as const;

export interface OperatingPointMetrics {
  /** Candidates with probability >= threshold are positives. Null only when there is no candidate at all. */
  threshold: number | null;
  /** Null when undefined (no nodules for recall, no positives for precision). */
  recall: number | null;
  precision: number | null;
  f1: number | null;
  fpPerScan: number;
  tp: number;
  fp: number;
  fn: number;
}

export interface MissedNodule {
  id: string;
  centerLps: Vec3;
  diameterMm: number;
}

export interface PerScanMetrics {
  seriesInstanceUid: string;
  /** The model manifest lists this series among those it was trained or tuned on. */
  trainingScan: boolean;
  tp: number;
  fp: number;
  fn: number;
  missed: MissedNodule[];
}

/** Where the primary operating threshold came from; only 'tuned' was chosen on the evaluated set. */
export type OperatingPointSource =
  | { kind: 'manifest'; label: string }
  | { kind: 'command line'; label: string }
  | { kind: 'tuned'; label: string };

export const TUNED_LABEL = 'tuned on this set (optimistic)';

export interface OperatingPointCI95 {
  recall: [number, number] | null;
  precision: [number, number] | null;
  f1: [number, number] | null;
  fpPerScan: [number, number] | null;
}

/** The scans the model was trained or tuned on (model manifest `trainingSeriesUids`). */
export interface TrainingScans {
  /** False when the manifest of the scored model does not list them: then none can be flagged. */
  listed: boolean;
  /** Evaluated series that are training scans, whether or not they were scored. */
  series: string[];
  /** Whether they are in the figures (--include-training-scans); by default they are left out. */
  inFigures: boolean;
}

export interface SubgroupRow {
  group: string;
  /** Scans in the group (scan-level), or scans holding at least one of its nodules (nodule-level). */
  scans: number;
  nodules: number;
  detected: number;
  sensitivity: number | null;
  sensitivityCI95: [number, number] | null;
  /** Why there is no interval, in words; null when there is one (or no nodule at all). */
  ciNote: string | null;
  falsePositives: number;
  /** False positives of the group per scan of the group (nodule-level: per scan of the cohort). */
  fpPerScan: number | null;
}

export interface SubgroupDimension {
  dimension: string;
  basis: 'nodule' | 'scan';
  rows: SubgroupRow[];
}

export interface Subgroups {
  threshold: number | null;
  dimensions: SubgroupDimension[];
}

export interface SizePair {
  seriesInstanceUid: string;
  noduleId: string;
  candidateId: string;
  referenceDiameterMm: number;
  measuredDiameterMm: number;
  /** The readers' mean outlined volume (LIDC XML only). */
  referenceVolumeMm3: number | null;
  measuredVolumeMm3: number | null;
  /** Each reader's contour-derived diameter (LIDC XML only). */
  readerDiametersMm: number[] | null;
}

export interface Agreement {
  n: number;
  /** measured − reference */
  meanDifference: number;
  sdDifference: number | null;
  /** Null below 2 pairs (no spread to estimate). */
  limitsOfAgreement: [number, number] | null;
  meanAbsoluteDifference: number;
}

export interface SizeAgreement {
  threshold: number | null;
  pairs: SizePair[];
  diameterMm: Agreement | null;
  volumeMm3: Agreement | null;
  /** LIDC XML only: how much the readers themselves disagree, and whether the app falls inside. */
  readers: { meanReaderSdDiameterMm: number; measuredWithinReaderRange: number; nodules: number } | null;
}

/** The schema of metrics.json: issue 7's, extended by issue 13. */
export interface EvalMetrics {
  scans: number;
  nodules: number;
  froc: { fpPerScan: number[]; sensitivity: (number | null)[] };
  cpm: number | null;
  /** Null with a confidenceNote when too few nodules or scans for an interval to mean anything. */
  cpmCI95: [number, number] | null;
  /** The primary figures: at the model's operating threshold (or the one given), never tuned here unless said. */
  operatingPoint: OperatingPointMetrics;
  operatingPointSource: OperatingPointSource;
  operatingPointCI95: OperatingPointCI95 | null;
  /** The F1-maximising threshold on this very set: optimistic, for comparison only. */
  tunedOperatingPoint: OperatingPointMetrics & { label: string };
  /** Why the intervals are absent, in words; null when they are given. */
  confidenceNote: string | null;
  trainingScans: TrainingScans;
  perScan: PerScanMetrics[];
  model: ModelRef;
  data: { annotationsSha256: string; series: string[] };
  /** How the reference files and the studies cover each other (issue 13). */
  reference: ReferenceCoverage;
  /** The bias audit at the primary threshold. */
  subgroups: Subgroups;
  /** Measured against reference size for every hit at the primary threshold. */
  sizeAgreement: SizeAgreement;
}

/** How the reference files and the studies cover each other (see core/eval/reference-coverage). */
export interface SeriesListCoverage {
  listed: number;
  /** Listed series that are not among the studies. */
  notFound: number;
  /** Studies left out because the list does not name them. */
  studiesNotListed: number;
}

export interface ReferenceCoverage {
  annotatedSeriesNotFound: number;
  /** Evaluated series with no row in any reference file: scored as nodule-free. */
  seriesWithoutAnnotations: string[];
  seriesList: SeriesListCoverage | null;
}
