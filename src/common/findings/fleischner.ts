import type { NoduleType } from './findings-document';

/**
 * Fleischner Society 2017 guidelines for incidental pulmonary nodules (MacMahon H, et al.
 * Radiology 2017;284:228-243), for adults >= 35 years outside screening, without known cancer or
 * immunosuppression. Size is the mean of long and short axis rounded to the nearest millimetre
 * (the guideline's own convention), banded < 6, 6-8, > 8 mm for solid nodules and < 6, >= 6 mm for
 * subsolid ones. Risk is the patient's clinical risk (smoking, exposure, age, ...): the app does
 * not know it, so 'unknown' reports both recommendations.
 */
export type FleischnerRisk = 'low' | 'high' | 'unknown';

export interface FleischnerInput {
  type: NoduleType;
  meanDiameterMm: number;
  /** More than one nodule on the scan. */
  multiple: boolean;
  /** Mean diameter of a part-solid nodule's solid component, when measured. */
  solidComponentMm?: number;
  risk: FleischnerRisk;
}

export function fleischnerSizeMm(meanDiameterMm: number): number {
  return Math.round(meanDiameterMm);
}

type Band = 'lt6' | '6to8' | 'gt8';

function band(sizeMm: number): Band {
  return sizeMm < 6 ? 'lt6' : sizeMm <= 8 ? '6to8' : 'gt8';
}

const SOLID: Record<'single' | 'multiple', Record<Band, { low: string; high: string }>> = {
  single: {
    lt6: { low: 'No routine follow-up.', high: 'Optional CT at 12 months.' },
    '6to8': {
      low: 'CT at 6-12 months, then consider CT at 18-24 months.',
      high: 'CT at 6-12 months, then CT at 18-24 months.',
    },
    gt8: {
      low: 'Consider CT at 3 months, PET/CT, or tissue sampling.',
      high: 'Consider CT at 3 months, PET/CT, or tissue sampling.',
    },
  },
  multiple: {
    lt6: { low: 'No routine follow-up.', high: 'Optional CT at 12 months.' },
    '6to8': {
      low: 'CT at 3-6 months, then consider CT at 18-24 months.',
      high: 'CT at 3-6 months, then CT at 18-24 months.',
    },
    gt8: {
      low: 'CT at 3-6 months, then consider CT at 18-24 months.',
      high: 'CT at 3-6 months, then CT at 18-24 months.',
    },
  },
};

function subsolid(type: NoduleType, sizeMm: number, multiple: boolean): string {
  const small = sizeMm < 6;
  if (multiple) {
    return small
      ? 'CT at 3-6 months; if stable, consider CT at 2 and 4 years.'
      : 'CT at 3-6 months; subsequent management based on the most suspicious nodule(s).';
  }
  if (small) return 'No routine follow-up.';
  return type === 'ground-glass'
    ? 'CT at 6-12 months to confirm persistence, then CT every 2 years until 5 years.'
    : 'CT at 3-6 months to confirm persistence; if unchanged and the solid component remains < 6 mm, annual CT for 5 years.';
}

/**
 * The largest nodule the guideline covers (mm, rounded as above): the Fleischner glossary's nodule
 * is an opacity up to 3 cm; no row of the guideline manages a larger lesion (a solid one is a mass).
 */
export const FLEISCHNER_MAX_NODULE_MM = 30;

/** Fleischner 2017, Table 1's comment on part-solid nodules. */
export const SUSPICIOUS_SOLID_PART =
  'A persistent part-solid nodule with a solid component of 6 mm or more should be considered highly suspicious.';

/** The recommendation as one line of text, prefixed with the guideline row it comes from. */
export function fleischnerRecommendation(x: FleischnerInput): string {
  const size = fleischnerSizeMm(x.meanDiameterMm);
  if (size > FLEISCHNER_MAX_NODULE_MM) {
    return `Fleischner 2017 does not apply: a ${size} mm lesion is larger than the nodules it covers (up to ${FLEISCHNER_MAX_NODULE_MM} mm).`;
  }
  const count = x.multiple ? 'multiple' : 'single';
  if (x.type !== 'solid') {
    const kind = x.type === 'ground-glass' ? 'ground-glass' : 'part-solid';
    const line = `Fleischner 2017, ${count} ${kind} nodule ${size} mm: ${subsolid(x.type, size, x.multiple)}`;
    // The guideline's own comment on its part-solid rows: such a solid part outweighs the row.
    const solid = x.solidComponentMm === undefined ? 0 : fleischnerSizeMm(x.solidComponentMm);
    return x.type === 'part-solid' && size >= 6 && solid >= 6 ? `${line} ${SUSPICIOUS_SOLID_PART}` : line;
  }
  const row = SOLID[count][band(size)];
  const head = `Fleischner 2017, ${count} solid nodule ${size} mm`;
  if (x.risk === 'low') return `${head}, low risk: ${row.low}`;
  if (x.risk === 'high') return `${head}, high risk: ${row.high}`;
  if (row.low === row.high) return `${head}: ${row.low}`;
  return `${head}: low risk: ${row.low} High risk: ${row.high}`;
}
