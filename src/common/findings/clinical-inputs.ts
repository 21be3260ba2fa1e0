/**
 * The reader's corrections to the patient facts an analysis used (age, sex, family history,
 * emphysema, Fleischner risk), and what they change: the Brock risk of every finding and the
 * Fleischner advice. Lung-RADS depends on none of them. Pure, so the main process (which stores
 * the result), the panel and the report agree.
 *
 * Brock's logit is a sum of independent terms, so a finding's stored risk is rescaled by swapping
 * only the patient terms: the nodule terms (size, type, lobe, count, spiculation) stay what the
 * pipeline measured, and the finding need not carry them.
 */
import { PulmoLensError } from '../errors';
import { BROCK_COEFFICIENTS, type Sex } from './brock';
import type {
  ClinicalFact,
  ClinicalRecord,
  EmphysemaIndex,
  Finding,
  FindingsDocument,
} from './findings-document';
import { fleischnerRecommendation, type FleischnerRisk } from './fleischner';

/** The facts a reader may set; each one given replaces the stored fact. */
export interface ClinicalChange {
  ageYears?: number;
  sex?: Sex;
  familyHistory?: boolean;
  emphysema?: boolean;
  fleischnerRisk?: FleischnerRisk;
}

export const CLINICAL_FIELDS = ['ageYears', 'sex', 'familyHistory', 'emphysema', 'fleischnerRisk'] as const;
export type ClinicalField = (typeof CLINICAL_FIELDS)[number];

/** The ages a reader may enter (whole years). */
export const ENTERED_AGE_RANGE = { min: 18, max: 110 } as const;

interface PatientFacts {
  ageYears: number;
  sex: Sex;
  familyHistory: boolean;
  emphysema: boolean;
}

/** The patient's share of the Brock logit. */
export function brockPatientLogit(p: PatientFacts): number {
  const c = BROCK_COEFFICIENTS;
  return (
    c.agePerYearFrom62 * (p.ageYears - 62) +
    (p.sex === 'female' ? c.female : 0) +
    (p.familyHistory ? c.familyHistory : 0) +
    (p.emphysema ? c.emphysema : 0)
  );
}

/** A Brock risk computed for `before` as it is for `after` (same nodule). */
export function rescaleBrockPatient(risk: number, before: PatientFacts, after: PatientFacts): number {
  const p = Math.min(Math.max(risk, 1e-9), 1 - 1e-9);
  const logit = Math.log(p / (1 - p)) + brockPatientLogit(after) - brockPatientLogit(before);
  return 1 / (1 + Math.exp(-logit));
}

const factsOf = (r: ClinicalRecord): PatientFacts => ({
  ageYears: r.ageYears.value,
  sex: r.sex.value,
  familyHistory: r.familyHistory.value,
  emphysema: r.emphysema.value,
});

const round4 = (v: number) => Math.round(v * 1e4) / 1e4;

/** The finding as it reads with the patient facts `after` instead of `before`. */
export function findingWithClinical(f: Finding, before: ClinicalRecord, after: ClinicalRecord): Finding {
  const riskChanged = brockPatientLogit(factsOf(before)) !== brockPatientLogit(factsOf(after));
  const fleischnerChanged = before.fleischnerRisk.value !== after.fleischnerRisk.value;
  if (!riskChanged && !fleischnerChanged) return f;
  return {
    ...f,
    malignancyRisk: riskChanged
      ? round4(rescaleBrockPatient(f.malignancyRisk, factsOf(before), factsOf(after)))
      : f.malignancyRisk,
    fleischner: fleischnerChanged
      ? fleischnerRecommendation({
          type: f.type,
          meanDiameterMm: f.diameterMm,
          solidComponentMm: f.solidComponentMm,
          // The pipeline's line names its row; the count did not change.
          multiple: /^Fleischner 2017, multiple /.test(f.fleischner),
          risk: after.fleischnerRisk.value,
        })
      : f.fleischner,
  };
}

function checkChange(change: ClinicalChange): void {
  const a = change.ageYears;
  if (a !== undefined && !(Number.isInteger(a) && a >= ENTERED_AGE_RANGE.min && a <= ENTERED_AGE_RANGE.max)) {
    throw new PulmoLensError(
      'INVALID_INPUT',
      `age must be whole years from ${ENTERED_AGE_RANGE.min} to ${ENTERED_AGE_RANGE.max}, got ${a}`,
    );
  }
  if (!CLINICAL_FIELDS.some((k) => change[k] !== undefined)) {
    throw new PulmoLensError('INVALID_INPUT', 'no clinical input to change');
  }
}

/**
 * The document with the reader's facts: each given field becomes source 'entered' by `enteredBy`
 * at `at` (also when the value is unchanged: the reader confirmed it), and every finding's Brock
 * risk and Fleischner advice follow. Documents stored before the pipeline recorded its facts
 * cannot be rescaled (what their risks assumed is unknown): re-analyse them.
 */
export function applyClinicalChange(
  doc: FindingsDocument,
  change: ClinicalChange,
  enteredBy: string,
  at: string,
): FindingsDocument {
  checkChange(change);
  const before = doc.clinical;
  if (!before) {
    throw new PulmoLensError(
      'INVALID_INPUT',
      `the analysis of series ${doc.seriesInstanceUid} was stored before its clinical inputs were recorded: analyse it again to change them`,
    );
  }
  const entered = <T>(value: T | undefined, old: ClinicalFact<T>): ClinicalFact<T> =>
    value === undefined ? old : { value, source: 'entered', enteredBy, enteredAt: at };
  const after: ClinicalRecord = {
    ageYears: entered(change.ageYears, before.ageYears),
    sex: entered(change.sex, before.sex),
    familyHistory: entered(change.familyHistory, before.familyHistory),
    emphysema: entered(change.emphysema, before.emphysema),
    fleischnerRisk: entered(change.fleischnerRisk, before.fleischnerRisk),
  };
  return {
    ...doc,
    clinical: after,
    findings: doc.findings.map((f) => findingWithClinical(f, before, after)),
  };
}

function factSource(f: ClinicalFact<unknown>): string {
  if (f.source === 'dicom') return 'DICOM';
  if (f.source === 'assumed') return 'assumed';
  return f.enteredBy ? `entered by ${f.enteredBy}` : 'entered';
}

/** The facts the risks were computed with, each with its source, as the report prints them. */
export function clinicalInputsText(r: ClinicalRecord): string {
  const yesNo = (b: boolean) => (b ? 'yes' : 'no');
  return [
    `age ${Math.round(r.ageYears.value)} y (${factSource(r.ageYears)})`,
    `sex ${r.sex.value} (${factSource(r.sex)})`,
    `family history ${yesNo(r.familyHistory.value)} (${factSource(r.familyHistory)})`,
    `emphysema ${yesNo(r.emphysema.value)} (${factSource(r.emphysema)})`,
    `Fleischner risk ${r.fleischnerRisk.value} (${factSource(r.fleischnerRisk)})`,
  ].join(', ');
}

/** The record with every 'entered' fact that names nobody stamped as entered by `by` at `at`. */
export function stampEnteredFacts(r: ClinicalRecord, by: string, at: string): ClinicalRecord {
  const stamp = <T>(f: ClinicalFact<T>): ClinicalFact<T> =>
    f.source === 'entered' && f.enteredBy === undefined ? { ...f, enteredBy: by, enteredAt: at } : f;
  return {
    ageYears: stamp(r.ageYears),
    sex: stamp(r.sex),
    familyHistory: stamp(r.familyHistory),
    emphysema: stamp(r.emphysema),
    fleischnerRisk: stamp(r.fleischnerRisk),
  };
}

/** The LAA-950 line the workspace shows: the measurement and the cut-off it is judged by. */
export function emphysemaIndexText(e: EmphysemaIndex): string {
  if (!e.lungFound) return 'LAA-950 not measured: no lung found in this series';
  const hu = e.thresholdHu < 0 ? `\u2212${-e.thresholdHu}` : String(e.thresholdHu);
  return `LAA-950 = ${e.laaPercent.toFixed(1)} % of lung voxels below ${hu} HU; emphysema if \u2265 ${e.cutoffPercent} %`;
}
