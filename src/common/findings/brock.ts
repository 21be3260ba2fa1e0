import type { NoduleType } from './findings-document';

/**
 * Brock University (PanCan) probability of malignancy, FULL model with spiculation
 * (McWilliams A, et al. Probability of cancer in pulmonary nodules detected on first screening CT.
 * N Engl J Med 2013;369:910-919, doi:10.1056/NEJMoa1214726, full model "2b").
 * Coefficients as tabulated for the BU model in Eur Radiol 2019;29(10):5367-5377, Table 2
 * (PMC6717521), which lists the uncentred intercept 0.2761; with age centred at 62, size centred at
 * 4 mm ((4/10)^-0.5 = 1.58113883) and count centred at 4 that is the familiar -6.7892
 * (0.2761 = -6.7892 - 62*0.0287 + 5.3854*1.58113883 + 4*0.0824).
 *
 * The model was fitted on the longest nodule diameter (van Riel et al., Eur Radiol 2017;27:4019,
 * "Dlongest" for PanCan), so callers pass the long axis, not the Lung-RADS mean.
 */
export const BROCK_COEFFICIENTS = {
  intercept: -6.7892,
  agePerYearFrom62: 0.0287,
  female: 0.6011,
  familyHistory: 0.2961,
  emphysema: 0.2953,
  sizeTransformed: -5.3854,
  nonSolid: -0.1276,
  partSolid: 0.377,
  upperLobe: 0.6581,
  countFrom4: -0.0824,
  spiculation: 0.7729,
} as const;

export type Sex = 'female' | 'male';

export interface BrockInputs {
  ageYears: number;
  sex: Sex;
  familyHistory: boolean;
  emphysema: boolean;
  /** Longest diameter in mm (> 0). */
  noduleSizeMm: number;
  type: NoduleType;
  upperLobe: boolean;
  /** Number of nodules on the scan (>= 1). */
  noduleCount: number;
  spiculated: boolean;
}

/** Probability (detector x characterizer) from which a candidate counts as a nodule for counts. */
export const NODULE_COUNT_LEVEL = 0.5;

/** (size/10)^-0.5 - 1.58113883: the model's size transform, zero at 4 mm. */
export function brockSizeTerm(sizeMm: number): number {
  return Math.pow(sizeMm / 10, -0.5) - 1.58113883;
}

export function brockLogit(x: BrockInputs): number {
  if (!(x.noduleSizeMm > 0) || !Number.isFinite(x.noduleSizeMm)) {
    throw new RangeError(`Brock model needs a positive nodule size, got ${x.noduleSizeMm}`);
  }
  const c = BROCK_COEFFICIENTS;
  return (
    c.intercept +
    c.agePerYearFrom62 * (x.ageYears - 62) +
    (x.sex === 'female' ? c.female : 0) +
    (x.familyHistory ? c.familyHistory : 0) +
    (x.emphysema ? c.emphysema : 0) +
    c.sizeTransformed * brockSizeTerm(x.noduleSizeMm) +
    (x.type === 'ground-glass' ? c.nonSolid : x.type === 'part-solid' ? c.partSolid : 0) +
    (x.upperLobe ? c.upperLobe : 0) +
    c.countFrom4 * (Math.max(1, x.noduleCount) - 4) +
    (x.spiculated ? c.spiculation : 0)
  );
}

/** Probability of malignancy, 0..1. */
export function brockRisk(x: BrockInputs): number {
  return 1 / (1 + Math.exp(-brockLogit(x)));
}
