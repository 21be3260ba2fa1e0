import { describe, expect, it } from 'vitest';
import { brockLogit, brockRisk, brockSizeTerm } from '../../src/common/findings/brock';

describe('Brock (PanCan) full model', () => {
  it('size transform is zero at 4 mm and matches (size/10)^-0.5 - 1.58113883', () => {
    expect(brockSizeTerm(4)).toBeCloseTo(0, 7);
    // 10 mm: 1^-0.5 - 1.58113883 = -0.58113883
    expect(brockSizeTerm(10)).toBeCloseTo(-0.58113883, 8);
  });

  it('reference patient: 62 y male, solid 10 mm, not upper lobe, 4 nodules, no other factor', () => {
    // Every centred term is 0 except size: -5.3854 * -0.58113883 = 3.12966505
    // logit = -6.7892 + 3.12966505 = -3.65953495
    // e^3.65953495 = e^3.6 (36.59823) * e^0.05953495 (1.061343) = 38.8433
    // p = 1 / (1 + 38.8433) = 0.025098
    const x = {
      ageYears: 62,
      sex: 'male' as const,
      familyHistory: false,
      emphysema: false,
      noduleSizeMm: 10,
      type: 'solid' as const,
      upperLobe: false,
      noduleCount: 4,
      spiculated: false,
    };
    expect(brockLogit(x)).toBeCloseTo(-3.65953495, 6);
    expect(brockRisk(x)).toBeCloseTo(0.025098, 5);
  });

  it('every risk factor present: 70 y female, part-solid 15 mm spiculated upper lobe, 1 nodule', () => {
    // age 0.0287*8 = 0.2296; female 0.6011; family 0.2961; emphysema 0.2953
    // size: 1.5^-0.5 = 0.81649658; -1.58113883 -> -0.76464225; * -5.3854 = 4.11790437
    // part-solid 0.377; upper lobe 0.6581; count -0.0824*(1-4) = 0.2472; spiculation 0.7729
    // sum of terms = 7.59520437; logit = -6.7892 + 7.59520437 = 0.80600437
    // e^-0.80600437 = e^-0.8 (0.449329) * e^-0.00600437 (0.994014) = 0.446639
    // p = 1 / 1.446639 = 0.691257
    const x = {
      ageYears: 70,
      sex: 'female' as const,
      familyHistory: true,
      emphysema: true,
      noduleSizeMm: 15,
      type: 'part-solid' as const,
      upperLobe: true,
      noduleCount: 1,
      spiculated: true,
    };
    expect(brockLogit(x)).toBeCloseTo(0.80600437, 6);
    expect(brockRisk(x)).toBeCloseTo(0.691257, 5);
  });

  it('ground-glass 5 mm in a 50 y man with 2 nodules', () => {
    // age 0.0287*(50-62) = -0.3444; size 0.5^-0.5 = 1.41421356 - 1.58113883 = -0.16692527,
    // * -5.3854 = 0.89895935; non-solid -0.1276; count -0.0824*(2-4) = 0.1648
    // logit = -6.7892 - 0.3444 + 0.89895935 - 0.1276 + 0.1648 = -6.19744065
    // e^6.19744065 = e^6 (403.42879) * e^0.19744065 (1.221403 * 0.997444 = 1.218281) = 491.490
    // p = 1 / 492.490 = 0.0020305
    const x = {
      ageYears: 50,
      sex: 'male' as const,
      familyHistory: false,
      emphysema: false,
      noduleSizeMm: 5,
      type: 'ground-glass' as const,
      upperLobe: false,
      noduleCount: 2,
      spiculated: false,
    };
    expect(brockLogit(x)).toBeCloseTo(-6.19744065, 6);
    expect(brockRisk(x)).toBeCloseTo(0.0020305, 6);
  });

  it('risk grows with size and refuses a non-positive size', () => {
    const base = {
      ageYears: 62,
      sex: 'male' as const,
      familyHistory: false,
      emphysema: false,
      type: 'solid' as const,
      upperLobe: false,
      noduleCount: 1,
      spiculated: false,
    };
    expect(brockRisk({ ...base, noduleSizeMm: 20 })).toBeGreaterThan(brockRisk({ ...base, noduleSizeMm: 8 }));
    expect(() => brockRisk({ ...base, noduleSizeMm: 0 })).toThrow(/positive nodule size/);
  });
});
