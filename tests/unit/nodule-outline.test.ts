import { describe, expect, it } from 'vitest';
import {
  DENSITY_TYPE_MIN_MM,
  densityType,
  SOLID_SHARE_MIN,
  THIN_RIM_SOLID_SHARE_MIN,
} from '../../src/core/inference/nodule-outline';

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
  it('also reads a thin rim around a small core, with a stricter share', () => {
    // The wide outline is the core (small, solid); the thin-rim outline holds the ground glass.
    const core = { meanDiameterMm: 7.8, solidShare: 0.95 };
    expect(densityType('solid', core, { meanDiameterMm: 14.5, solidShare: 0.12 })).toBe('part-solid');
    expect(
      densityType('solid', core, {
        meanDiameterMm: DENSITY_TYPE_MIN_MM,
        solidShare: THIN_RIM_SOLID_SHARE_MIN - 0.01,
      }),
    ).toBe('part-solid');
    // A solid nodule's blurred edge and the vessels at it: a large outline, a third of it solid.
    expect(densityType('solid', core, { meanDiameterMm: 15.4, solidShare: 0.35 })).toBe('solid');
    expect(densityType('solid', core, { meanDiameterMm: 15.4, solidShare: THIN_RIM_SOLID_SHARE_MIN })).toBe(
      'solid',
    );
    expect(densityType('solid', core, { meanDiameterMm: 11.9, solidShare: 0.1 })).toBe('solid');
  });
  it('never overrides a part-solid or ground-glass call', () => {
    expect(densityType('ground-glass', { meanDiameterMm: 24, solidShare: 0.9 })).toBe('ground-glass');
    expect(densityType('part-solid', { meanDiameterMm: 24, solidShare: 0.9 })).toBe('part-solid');
  });
});
