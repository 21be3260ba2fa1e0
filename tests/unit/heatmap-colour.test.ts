import { describe, expect, it } from 'vitest';
import { hotColour } from '../../src/renderer/viewer/heatmap-overlay';

const spread = ([r, g, b]: [number, number, number]) => Math.max(r, g, b) - Math.min(r, g, b);

describe("hotColour: the overlay's colour map and its legend", () => {
  it('tints the most certain heat: a solid nodule, near white in the lung window, stays visibly coloured under it', () => {
    // Session 45: the fusion U-Net's heatmap is 0.999 on LIDC-IDRI-0001's nodule; a map ending in
    // white drew it white on white (the e2e findings test saw 253 against 246).
    for (const p of [0.9, 0.95, 0.99, 1]) expect(spread(hotColour(p))).toBeGreaterThanOrEqual(200);
    const [r, g, b] = hotColour(1);
    const over = (c: number, grey: number, a: number) => a * c + (1 - a) * grey;
    // At the viewer's default opacity over a 246 grey voxel, blue falls well below red.
    expect(over(r, 246, 0.45) - over(b, 246, 0.45)).toBeGreaterThan(100);
    expect(g).toBeGreaterThan(200);
  });

  it('grows brighter with the probability and is never grey above the display threshold', () => {
    let last = -1;
    for (let v = 0; v <= 255; v++) {
      const c = hotColour(v / 255);
      const sum = c[0] + c[1] + c[2];
      expect(sum).toBeGreaterThanOrEqual(last);
      last = sum;
      if (v / 255 >= 0.2) expect(spread(c)).toBeGreaterThanOrEqual(100);
    }
  });
});
