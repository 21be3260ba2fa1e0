import { describe, expect, it } from 'vitest';
import { lungRadsCategory, roundTenth } from '../../src/common/findings/lung-rads';

describe('Lung-RADS v2022 baseline category', () => {
  it('rounds the mean diameter to 0.1 mm before banding', () => {
    // (6.1 + 5.8) / 2 = 5.95 -> 6.0 -> category 3, not 2
    expect(roundTenth(5.95)).toBe(6);
    expect(lungRadsCategory({ type: 'solid', meanDiameterMm: (6.1 + 5.8) / 2 })).toBe('3');
    // 5.94 -> 5.9 -> 2
    expect(lungRadsCategory({ type: 'solid', meanDiameterMm: 5.94 })).toBe('2');
  });

  it('solid bands: <6 -> 2, 6-<8 -> 3, 8-<15 -> 4A, >=15 -> 4B', () => {
    expect(lungRadsCategory({ type: 'solid', meanDiameterMm: 4 })).toBe('2');
    expect(lungRadsCategory({ type: 'solid', meanDiameterMm: 7.9 })).toBe('3');
    expect(lungRadsCategory({ type: 'solid', meanDiameterMm: 8 })).toBe('4A');
    expect(lungRadsCategory({ type: 'solid', meanDiameterMm: 14.96 })).toBe('4B'); // 14.96 -> 15.0
    expect(lungRadsCategory({ type: 'solid', meanDiameterMm: 23.4 })).toBe('4B');
  });

  it('part-solid uses total size, then the solid component', () => {
    expect(lungRadsCategory({ type: 'part-solid', meanDiameterMm: 5.5, solidComponentMm: 3 })).toBe('2');
    expect(lungRadsCategory({ type: 'part-solid', meanDiameterMm: 12, solidComponentMm: 5.9 })).toBe('3');
    expect(lungRadsCategory({ type: 'part-solid', meanDiameterMm: 12, solidComponentMm: 6 })).toBe('4A');
    expect(lungRadsCategory({ type: 'part-solid', meanDiameterMm: 12, solidComponentMm: 8 })).toBe('4B');
  });

  it('ground-glass: <30 -> 2, >=30 -> 3', () => {
    expect(lungRadsCategory({ type: 'ground-glass', meanDiameterMm: 29.9 })).toBe('2');
    expect(lungRadsCategory({ type: 'ground-glass', meanDiameterMm: 30 })).toBe('3');
  });

  it('spiculation lifts category 3 or 4 to 4X but leaves 2 alone', () => {
    expect(lungRadsCategory({ type: 'solid', meanDiameterMm: 10, spiculated: true })).toBe('4X');
    expect(lungRadsCategory({ type: 'solid', meanDiameterMm: 4, spiculated: true })).toBe('2');
  });
});
