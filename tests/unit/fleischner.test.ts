import { describe, expect, it } from 'vitest';
import {
  fleischnerRecommendation,
  fleischnerSizeMm,
  SUSPICIOUS_SOLID_PART,
} from '../../src/common/findings/fleischner';

describe('Fleischner 2017 incidental nodule recommendation', () => {
  it('rounds the mean diameter to the nearest millimetre', () => {
    // (6.4 + 5.0) / 2 = 5.7 -> 6 mm: the 6-8 mm row, not < 6
    expect(fleischnerSizeMm(5.7)).toBe(6);
    expect(
      fleischnerRecommendation({ type: 'solid', meanDiameterMm: 5.7, multiple: false, risk: 'low' }),
    ).toBe(
      'Fleischner 2017, single solid nodule 6 mm, low risk: CT at 6-12 months, then consider CT at 18-24 months.',
    );
  });

  it('does not apply to a lesion over 30 mm, whatever its type: the guideline covers nodules up to 30 mm', () => {
    // Fleischner 2017 covers nodules, opacities up to 30 mm; 30.4 rounds to 30 and is still one.
    expect(
      fleischnerRecommendation({ type: 'solid', meanDiameterMm: 30.4, multiple: false, risk: 'unknown' }),
    ).toBe(
      'Fleischner 2017, single solid nodule 30 mm: Consider CT at 3 months, PET/CT, or tissue sampling.',
    );
    for (const type of ['solid', 'part-solid', 'ground-glass'] as const) {
      for (const multiple of [false, true]) {
        expect(fleischnerRecommendation({ type, meanDiameterMm: 30.6, multiple, risk: 'high' })).toBe(
          'Fleischner 2017 does not apply: a 31 mm lesion is larger than the nodules it covers (up to 30 mm).',
        );
      }
    }
  });

  it("adds the guideline's warning for a part-solid nodule whose solid component is 6 mm or more", () => {
    const at = (solidComponentMm: number | undefined, meanDiameterMm = 14, multiple = false) =>
      fleischnerRecommendation({
        type: 'part-solid',
        meanDiameterMm,
        multiple,
        risk: 'unknown',
        ...(solidComponentMm !== undefined ? { solidComponentMm } : {}),
      });
    const row =
      'Fleischner 2017, single part-solid nodule 14 mm: CT at 3-6 months to confirm persistence; if unchanged and the solid component remains < 6 mm, annual CT for 5 years.';
    expect(at(undefined)).toBe(row);
    expect(at(5.4)).toBe(row); // rounds to 5 mm
    expect(at(5.5)).toBe(`${row} ${SUSPICIOUS_SOLID_PART}`); // rounds to 6 mm
    expect(at(9, 14, true)).toMatch(
      /^Fleischner 2017, multiple part-solid nodule 14 mm: .*highly suspicious\.$/,
    );
    // Below 6 mm a part-solid nodule has no row of its own, and a ground-glass one has no solid part.
    expect(at(6, 5.4)).not.toContain('highly suspicious');
    expect(
      fleischnerRecommendation({
        type: 'ground-glass',
        meanDiameterMm: 14,
        multiple: false,
        risk: 'unknown',
        solidComponentMm: 8,
      }),
    ).not.toContain('highly suspicious');
  });

  it('solid single rows for low and high risk', () => {
    expect(
      fleischnerRecommendation({ type: 'solid', meanDiameterMm: 4, multiple: false, risk: 'low' }),
    ).toMatch(/low risk: No routine follow-up\.$/);
    expect(
      fleischnerRecommendation({ type: 'solid', meanDiameterMm: 4, multiple: false, risk: 'high' }),
    ).toMatch(/high risk: Optional CT at 12 months\.$/);
    // 8.4 -> 8 mm is still the 6-8 row; 8.5 -> 9 mm is > 8
    expect(
      fleischnerRecommendation({ type: 'solid', meanDiameterMm: 8.4, multiple: false, risk: 'high' }),
    ).toMatch(/8 mm, high risk: CT at 6-12 months, then CT at 18-24 months\./);
    expect(
      fleischnerRecommendation({ type: 'solid', meanDiameterMm: 8.5, multiple: false, risk: 'unknown' }),
    ).toBe('Fleischner 2017, single solid nodule 9 mm: Consider CT at 3 months, PET/CT, or tissue sampling.');
  });

  it('solid multiple and unknown risk gives both recommendations', () => {
    expect(
      fleischnerRecommendation({ type: 'solid', meanDiameterMm: 7, multiple: true, risk: 'unknown' }),
    ).toBe(
      'Fleischner 2017, multiple solid nodule 7 mm: low risk: CT at 3-6 months, then consider CT at 18-24 months. High risk: CT at 3-6 months, then CT at 18-24 months.',
    );
  });

  it('subsolid rows', () => {
    expect(
      fleischnerRecommendation({ type: 'ground-glass', meanDiameterMm: 5, multiple: false, risk: 'unknown' }),
    ).toMatch(/ground-glass nodule 5 mm: No routine follow-up\./);
    expect(
      fleischnerRecommendation({
        type: 'ground-glass',
        meanDiameterMm: 12,
        multiple: false,
        risk: 'unknown',
      }),
    ).toMatch(/CT at 6-12 months to confirm persistence, then CT every 2 years until 5 years\./);
    expect(
      fleischnerRecommendation({ type: 'part-solid', meanDiameterMm: 9, multiple: false, risk: 'low' }),
    ).toMatch(
      /part-solid nodule 9 mm: CT at 3-6 months to confirm persistence; if unchanged and the solid component remains < 6 mm, annual CT for 5 years\./,
    );
    expect(
      fleischnerRecommendation({ type: 'part-solid', meanDiameterMm: 4, multiple: true, risk: 'low' }),
    ).toMatch(/CT at 3-6 months; if stable, consider CT at 2 and 4 years\./);
    expect(
      fleischnerRecommendation({ type: 'ground-glass', meanDiameterMm: 7, multiple: true, risk: 'low' }),
    ).toMatch(/based on the most suspicious nodule\(s\)\./);
  });
});
