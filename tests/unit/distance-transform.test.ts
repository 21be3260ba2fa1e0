import { describe, expect, it } from 'vitest';
import { lineScratch, squaredDistanceLine } from '../../src/core/inference/distance-transform';

describe('squaredDistanceLine', () => {
  it('equals the brute-force lower envelope on random lines, sources and gaps', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const s = lineScratch(40);
    for (let t = 0; t < 200; t++) {
      const n = 1 + Math.floor(rand() * 40);
      const spacing = 0.5 + rand() * 2;
      const f = Array.from({ length: n }, () =>
        rand() < 0.6 ? Infinity : Math.floor(rand() * 4) * rand() * 9,
      );
      f.forEach((x, i) => (s.f[i] = x));
      squaredDistanceLine(s, n, spacing);
      for (let q = 0; q < n; q++) {
        let best = Infinity;
        for (let p = 0; p < n; p++) best = Math.min(best, (spacing * (q - p)) ** 2 + f[p]!);
        if (best === Infinity) expect(s.out[q]).toBe(Infinity);
        else expect(s.out[q]).toBeCloseTo(best, 9);
      }
    }
  });
});
