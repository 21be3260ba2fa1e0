import { describe, expect, it } from 'vitest';
import { shownProbability } from '../../src/core/findings/assemble';

describe('shownProbability', () => {
  it('keeps every score on its side of a 4-decimal operating threshold', () => {
    const threshold = 0.9802;
    // Rounding would show 0.9802 for a candidate below the threshold (seen with the v2 model).
    expect(shownProbability(0.98016)).toBeLessThan(threshold);
    expect(shownProbability(0.98016)).toBe(0.9801);
    expect(shownProbability(threshold)).toBe(threshold);
    expect(shownProbability(0.98029)).toBeGreaterThanOrEqual(threshold);
    for (let i = 0; i < 2000; i++) {
      const p = Math.random();
      const t = Math.round(Math.random() * 1e4) / 1e4;
      expect(shownProbability(p) >= t).toBe(p >= t);
    }
  });
});
