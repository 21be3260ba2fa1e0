import { describe, expect, it } from 'vitest';
import { DENSITY_TYPE_MIN_MM, densityType, SOLID_SHARE_MIN } from '../../src/core/inference/nodule-outline';

describe('densityType', () => {
  it('turns a large, mostly non-solid nodule called solid into part-solid', () => {
    expect(densityType('solid', { meanDiameterMm: 24, solidShare: 0.34 })).toBe('part-solid');
    expect(
      densityType('solid', { meanDiameterMm: DENSITY_TYPE_MIN_MM, solidShare: SOLID_SHARE_MIN - 0.01 }),
    ).toBe('part-solid');
  });
  it('keeps a solid nodule solid: dense enough, or too small for the density to tell', () => {
    expect(densityType('solid', { meanDiameterMm: 24, solidShare: SOLID_SHARE_MIN })).toBe('solid');
    expect(densityType('solid', { meanDiameterMm: 9.4, solidShare: 0.2 })).toBe('solid');
  });
  it('never overrides a part-solid or ground-glass call', () => {
    expect(densityType('ground-glass', { meanDiameterMm: 24, solidShare: 0.9 })).toBe('ground-glass');
    expect(densityType('part-solid', { meanDiameterMm: 24, solidShare: 0.9 })).toBe('part-solid');
  });
});
