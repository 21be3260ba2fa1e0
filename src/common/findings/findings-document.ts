import type { Vec3 } from '../volume';
import type { Sex } from './brock';
import type { FleischnerRisk } from './fleischner';

/** Nodule type as the characterizer reports it and Lung-RADS / Brock consume it. */
export type NoduleType = 'solid' | 'part-solid' | 'ground-glass';

export type LungRadsCategory = '0' | '1' | '2' | '3' | '4A' | '4B' | '4X';

export interface ModelRef {
  name: string;
  version: string;
  sha256: string;
}

/** One detected candidate, as written to findings.json (the CLI contract of `pulmolens analyze`). */
export interface Finding {
  id: string;
  centerLps: Vec3;
  centerVoxel: Vec3;
  probability: number;
  diameterMm: number;
  longAxisMm: number;
  shortAxisMm: number;
  volumeMm3: number;
  meanHu: number;
  type: NoduleType;
  /**
   * Mean diameter of the solid component, mm, for a part-solid nodule only (Lung-RADS sizes a
   * part-solid nodule by it). Absent for other types and in documents written before session 31.
   */
  solidComponentMm?: number;
  /**
   * Spiculated margin: the characterizer's call only where the manifest says its margin output was
   * validated (`characterizer.spiculation.assessed`), the reader's where the review sets it, else
   * null: not assessed. Lung-RADS 4X and Brock's spiculation term count only `true`.
   */
  spiculated: boolean | null;
  /** Brock (PanCan full model) probability of malignancy, 0..1. */
  malignancyRisk: number;
  lungRads: LungRadsCategory;
  fleischner: string;
}

/**
 * Where a stage-1 candidate came from: the blob detector, the U-Net heatmap, both, or the
 * thickness peaks of the dense tissue (a source added only when a study turns it on).
 */
export type CandidateSource = 'blob' | 'unet' | 'both' | 'thickness';

/**
 * A stage-1 candidate whose score stayed below the operating threshold: kept for the scorer and
 * the panel's "show all candidates", never measured, reported or categorised.
 */
export interface BelowThresholdCandidate {
  id: string;
  centerLps: Vec3;
  centerVoxel: Vec3;
  /** The same score as a finding's probability (the manifest's: p_nodule, or fused with `fusionDetector`). */
  probability: number;
  source: CandidateSource;
  /** Blob scale or U-Net region extent, mm: a size hint, not a measurement. */
  scaleMm: number;
}

/** The FindingsDocument field naming the U-Net whose heatmap is overlaid. */
export type HeatmapSource = 'detector' | 'fusionDetector';

export interface FindingsDocument {
  seriesInstanceUid: string;
  /** The detector (stage 1). */
  model: ModelRef;
  /**
   * The characterizer whose p_nodule every probability here rests on: findings of another one are
   * other scores (absent in documents written before it was recorded).
   */
  characterizer?: ModelRef;
  /**
   * The second U-Net whose heatmap the probabilities are fused with (the manifest's score fusion);
   * absent where they are p_nodule alone.
   */
  fusionDetector?: ModelRef;
  /**
   * Which U-Net's heatmap the overlay (and the parametric map) holds: `fusionDetector` where the
   * models have one (since session 45), else `model`'s; absent in documents written before, where
   * it is `model`'s.
   */
  heatmapFrom?: HeatmapSource;
  executionProvider: string;
  timingsMs: Record<string, number>;
  /**
   * Score from which a candidate is a finding (manifest operatingPoint, or the documented
   * fallback). This and `candidates` and `warnings` are absent only in documents written before
   * the two-stage detector.
   */
  operatingThreshold?: number;
  /** Findings (score >= operatingThreshold), highest probability first. */
  findings: Finding[];
  /** Every other stage-1 candidate, highest probability first. */
  candidates?: BelowThresholdCandidate[];
  /** What limits this analysis (thick slices, unknown age, no lung found...). */
  warnings?: string[];
  /** LAA-950 of the lungs (absent in documents written before it was measured). */
  emphysema?: EmphysemaIndex;
  /** The series' image noise (absent in documents written before it was measured). */
  imageNoise?: ImageNoiseAssessment;
  /**
   * The patient facts the risk models used, each with where it came from; reviews and reports
   * score hand-added nodules with these (absent in documents written before they were stored).
   */
  clinical?: ClinicalRecord;
}

interface ImageNoiseMethod {
  /** Gaussian sigma (mm) of the nodule-scale figure. */
  sigmaMm: number;
  /** HU range a smoothed patch must stay in to count as soft tissue. */
  softTissueHu: readonly [number, number];
  /** Homogeneous soft-tissue patches the figures average. */
  patches: number;
}

/**
 * Image noise in homogeneous soft tissue (core/inference/image-noise): its SD as measured on the
 * slices, and at nodule scale (after a 1 mm Gaussian), the figure that tracks dose rather than
 * reconstruction kernel. Not measured when the series has too little soft tissue to say.
 */
export type ImageNoise =
  | (ImageNoiseMethod & { measured: true; softTissueSdHu: number; noduleScaleSdHu: number })
  | (ImageNoiseMethod & { measured: false });

/**
 * The noise and the highest nodule-scale noise the models were validated at (model manifest
 * operatingPoint.noise; absent when the manifest does not state one). `aboveValidated` is true
 * only when both are known and the series is noisier.
 */
export type ImageNoiseAssessment = ImageNoise & { validatedMaxHu?: number; aboveValidated: boolean };

/** dicom: read from the series; entered: given by a person; assumed: unknown, the model default. */
export type ClinicalSource = 'dicom' | 'entered' | 'assumed';

export interface ClinicalFact<T> {
  value: T;
  source: ClinicalSource;
  /**
   * With source 'entered': who entered it (the reader's name, as audit entries carry it) and when
   * (ISO 8601). Absent for values given on the command line and in older documents.
   */
  enteredBy?: string;
  enteredAt?: string;
}

export interface ClinicalRecord {
  ageYears: ClinicalFact<number>;
  sex: ClinicalFact<Sex>;
  familyHistory: ClinicalFact<boolean>;
  emphysema: ClinicalFact<boolean>;
  fleischnerRisk: ClinicalFact<FleischnerRisk>;
}

/**
 * Percentage of lung voxels below -950 HU (LAA-950) and the Brock prefill it suggests at the
 * stated cut-off; the reader confirms (core/inference/emphysema).
 */
export interface EmphysemaIndex {
  laaPercent: number;
  thresholdHu: number;
  cutoffPercent: number;
  suggested: boolean;
  lungVoxels: number;
  lungFound: boolean;
}

/** The model whose heatmap a document's overlay holds (`heatmapFrom`; `model` in older documents). */
export function heatmapModel(
  doc: Pick<FindingsDocument, 'model' | 'fusionDetector' | 'heatmapFrom'>,
): ModelRef {
  return doc.heatmapFrom === 'fusionDetector' && doc.fusionDetector ? doc.fusionDetector : doc.model;
}
