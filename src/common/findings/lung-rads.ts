import type { LungRadsCategory, NoduleType } from './findings-document';

/**
 * Lung-RADS v2022, baseline screening CT, assigned from nodule type and size alone (ACR Lung-RADS
 * v2022 assessment categories). Sizes are mean diameters (long + short axis) / 2 on the axial
 * image, rounded to one decimal place as v2022 specifies; thresholds are "greater than or equal".
 *
 *   solid:       < 6 -> 2;  6 to < 8 -> 3;  8 to < 15 -> 4A;  >= 15 -> 4B
 *   part-solid:  total < 6 -> 2;  total >= 6 with solid component < 6 -> 3;
 *                solid component 6 to < 8 -> 4A;  solid component >= 8 -> 4B
 *   ground-glass: < 30 -> 2;  >= 30 -> 3
 *
 * Category 4X (category 3 or 4 with additional features that raise suspicion) is given when the
 * caller reports a spiculated margin, which v2022 names as such a feature. Findings that need
 * comparison with a prior scan, benign calcification or fat, and the juxtapleural/perifissural
 * rule are out of scope: the app has no prior and no calcification classifier.
 */
export interface LungRadsInput {
  type: NoduleType;
  meanDiameterMm: number;
  /** Mean diameter of the solid component; only used for part-solid nodules. */
  solidComponentMm?: number;
  spiculated?: boolean;
}

export function roundTenth(mm: number): number {
  return Math.round(mm * 10 + 1e-9) / 10;
}

export function lungRadsCategory(x: LungRadsInput): LungRadsCategory {
  const d = roundTenth(x.meanDiameterMm);
  let cat: LungRadsCategory;
  if (x.type === 'solid') {
    cat = d < 6 ? '2' : d < 8 ? '3' : d < 15 ? '4A' : '4B';
  } else if (x.type === 'part-solid') {
    const s = roundTenth(x.solidComponentMm ?? 0);
    if (d < 6) cat = '2';
    else if (s < 6) cat = '3';
    else if (s < 8) cat = '4A';
    else cat = '4B';
  } else {
    cat = d < 30 ? '2' : '3';
  }
  if (x.spiculated && (cat === '3' || cat === '4A' || cat === '4B')) return '4X';
  return cat;
}
