/**
 * From measured nodules to the findings a reader sees: Brock risk, Lung-RADS and Fleischner for
 * each, with the patient facts from the header or the user. Pure: no models, no volume.
 */
import type { Vec3 } from '../../common/volume';
import { brockRisk, type Sex } from '../../common/findings/brock';
import type { ClinicalRecord, Finding, NoduleType } from '../../common/findings/findings-document';
import { fleischnerRecommendation, type FleischnerRisk } from '../../common/findings/fleischner';
import { lungRadsCategory } from '../../common/findings/lung-rads';
import type { NoduleMeasurements } from './measurements';
import { patientAgeYears, patientSex } from '../../common/findings/patient';

/** Patient facts the DICOM header does not hold (or that the user corrects). */
export interface ClinicalInputs {
  ageYears?: number;
  sex?: Sex;
  familyHistory?: boolean;
  emphysema?: boolean;
  /** Fleischner clinical risk; 'unknown' (default) reports the low- and high-risk rows. */
  fleischnerRisk?: FleischnerRisk;
}

export interface PatientHeader {
  patientAge: string;
  patientSex: string;
  patientBirthDate: string;
  studyDate: string;
}

export interface MeasuredNodule {
  /** World position (LPS mm) written to the finding, and its voxel. */
  centerLps: Vec3;
  centerVoxel: Vec3;
  probability: number;
  type: NoduleType;
  /** null: the margin is not assessed (the model's margin output is not validated). */
  spiculated: boolean | null;
  m: NoduleMeasurements;
  /** Solid component mean diameter (part-solid), else the whole nodule's. */
  solidMm: number;
  /** In the upper half of the lungs' height (stand-in for the upper lobes). */
  upperLobe: boolean;
}

/**
 * A finding score as findings.json and the screen show it: cut (not rounded) to 4 decimals, so a
 * candidate just below the operating threshold (at most 4 decimals) never shows the threshold
 * itself, and a finding at or above it never shows less. The epsilon keeps a score equal to the
 * threshold from falling a step below it through binary rounding (0.9802 * 1e4 = 9801.999...).
 */
export function shownProbability(p: number): number {
  return Math.floor(p * 1e4 + 1e-9) / 1e4;
}

const round = (v: number, d: number) => {
  const f = 10 ** d;
  return Math.round(v * f) / f;
};

/**
 * Findings sorted by probability with ids F001...; `warnings` says which patient facts were
 * missing and what was assumed instead. `noduleCount` (Brock, Fleischner "multiple") is the
 * number of findings: every one is above the operating threshold.
 */
export function assembleFindings(
  nodules: MeasuredNodule[],
  header: PatientHeader,
  clinical: ClinicalInputs = {},
): { findings: Finding[]; warnings: string[]; clinical: ClinicalRecord } {
  const warnings: string[] = [];
  const dicomAge = patientAgeYears(header.patientAge, header.patientBirthDate, header.studyDate);
  const age = clinical.ageYears ?? dicomAge;
  if (age === null) warnings.push('patient age unknown (no PatientAge/BirthDate); Brock risk uses 62 years');
  const sex = clinical.sex ?? patientSex(header.patientSex);
  if (sex === null) warnings.push('patient sex unknown; Brock risk uses the male reference category');
  const noduleCount = Math.max(1, nodules.length);
  const findings: Finding[] = nodules.map((f) => ({
    id: '',
    centerLps: f.centerLps,
    centerVoxel: f.centerVoxel,
    probability: shownProbability(f.probability),
    diameterMm: round(f.m.meanDiameterMm, 1),
    longAxisMm: round(f.m.longAxisMm, 1),
    shortAxisMm: round(f.m.shortAxisMm, 1),
    volumeMm3: round(f.m.volumeMm3, 1),
    meanHu: round(f.m.meanHu, 1),
    type: f.type,
    ...(f.type === 'part-solid' ? { solidComponentMm: round(f.solidMm, 1) } : {}),
    spiculated: f.spiculated,
    malignancyRisk: round(
      brockRisk({
        ageYears: age ?? 62,
        sex: sex ?? 'male',
        familyHistory: clinical.familyHistory ?? false,
        emphysema: clinical.emphysema ?? false,
        noduleSizeMm: Math.max(f.m.longAxisMm, 0.1),
        type: f.type,
        upperLobe: f.upperLobe,
        noduleCount,
        spiculated: f.spiculated === true,
      }),
      4,
    ),
    lungRads: lungRadsCategory({
      type: f.type,
      meanDiameterMm: f.m.meanDiameterMm,
      solidComponentMm: f.solidMm,
      spiculated: f.spiculated === true,
    }),
    fleischner: fleischnerRecommendation({
      type: f.type,
      meanDiameterMm: f.m.meanDiameterMm,
      // As the finding shows it, so the line and the number on screen agree.
      solidComponentMm: round(f.solidMm, 1),
      multiple: noduleCount > 1,
      risk: clinical.fleischnerRisk ?? 'unknown',
    }),
  }));
  findings.sort((a, b) => b.probability - a.probability);
  findings.forEach((f, i) => (f.id = `F${String(i + 1).padStart(3, '0')}`));
  const fact = <T>(entered: T | undefined, fromDicom: T | null, assumed: T) =>
    entered !== undefined
      ? { value: entered, source: 'entered' as const }
      : fromDicom !== null
        ? { value: fromDicom, source: 'dicom' as const }
        : { value: assumed, source: 'assumed' as const };
  const used: ClinicalRecord = {
    ageYears: fact(clinical.ageYears, dicomAge, 62),
    sex: fact(clinical.sex, patientSex(header.patientSex), 'male' as Sex),
    familyHistory: fact(clinical.familyHistory, null, false),
    emphysema: fact(clinical.emphysema, null, false),
    fleischnerRisk: fact<FleischnerRisk>(clinical.fleischnerRisk, null, 'unknown'),
  };
  return { findings, warnings, clinical: used };
}
