import { describe, expect, it } from 'vitest';
import type { Vec3, Volume } from '../../src/common/volume';
import {
  GROUND_GLASS_FALLBACK_HU,
  groundGlassLevel,
  smoothedBox,
} from '../../src/core/inference/ground-glass-level';

function volume(dims: Vec3, spacing: Vec3, hu: (i: number, j: number, k: number) => number): Volume {
  const v = new Int16Array(dims[0] * dims[1] * dims[2]);
  for (let k = 0; k < dims[2]; k++)
    for (let j = 0; j < dims[1]; j++)
      for (let i = 0; i < dims[0]; i++) v[i + j * dims[0] + k * dims[0] * dims[1]] = hu(i, j, k);
  return { dims, spacingMm: spacing, originLps: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], hu: v };
}

describe('smoothedBox', () => {
  it('keeps a uniform region uniform up to the box edge, and a step edge where it is', () => {
    const flat = volume([12, 12, 8], [0.7, 0.7, 1.25], () => -850);
    const s = smoothedBox(flat, [2, 2, 1], [8, 8, 6], 1);
    for (const v of s) expect(v).toBeCloseTo(-850, 3);
    // A plane edge between x < 10 (-500 HU) and x >= 10 (-900 HU): the two voxels either side of
    // it average to the half-way value, and far from it the values are untouched.
    const step = volume([20, 6, 6], [1, 1, 1], (i) => (i < 10 ? -500 : -900));
    const e = smoothedBox(step, [0, 0, 0], [20, 6, 6], 1);
    const row = (x: number) => e[x + 2 * 20 + 2 * 120]!;
    expect((row(9) + row(10)) / 2).toBeCloseTo(-700, 3);
    expect(row(9)).toBeGreaterThan(-700);
    expect(row(10)).toBeLessThan(-700);
    expect(row(2)).toBeCloseTo(-500, 1);
    expect(row(17)).toBeCloseTo(-900, 1);
  });
});

describe('groundGlassLevel', () => {
  // A 6 mm radius ball of `nodule` HU in `lung` HU at 1 mm, centred in a 41^3 box.
  const ball = (nodule: number, lung: number) => {
    const vol = volume([41, 41, 41], [1, 1, 1], (i, j, k) =>
      Math.hypot(i - 20, j - 20, k - 20) <= 6 ? nodule : lung,
    );
    return smoothedBox(vol, [0, 0, 0], [41, 41, 41], 1);
  };
  const box = { size: [41, 41, 41] as Vec3, spacing: [1, 1, 1] as Vec3 };
  const centre: Vec3 = [20, 20, 20];
  const everywhere = () => true;

  it('is half-way between the nodule and its parenchyma', () => {
    expect(groundGlassLevel(ball(-500, -850), box, centre, 12, everywhere)).toBeCloseTo(-675, -1);
    expect(groundGlassLevel(ball(-680, -880), box, centre, 12, everywhere)).toBeCloseTo(-780, -1);
  });

  it('stays between -800 and -600 HU', () => {
    expect(groundGlassLevel(ball(0, -850), box, centre, 12, everywhere)).toBe(-600);
    expect(groundGlassLevel(ball(-760, -980), box, centre, 12, everywhere)).toBe(-800);
  });

  it('draws a halo a fifth of the way up from the parenchyma, at least 50 HU over it', () => {
    // Parenchyma peaks are bin centres (10 HU bins): -845 and -875 HU here.
    expect(groundGlassLevel(ball(-500, -850), box, centre, 12, everywhere, 'halo')).toBeCloseTo(-776, 0);
    expect(groundGlassLevel(ball(-680, -880), box, centre, 12, everywhere, 'halo')).toBe(-825);
    expect(groundGlassLevel(ball(400, -850), box, centre, 12, everywhere, 'halo')).toBe(-600);
  });

  it('falls back to the fixed level when no aerated lung surrounds the nodule', () => {
    expect(groundGlassLevel(ball(-500, -850), box, centre, 12, () => false)).toBe(GROUND_GLASS_FALLBACK_HU);
    // Dense surroundings (above -600 HU) are not parenchyma either.
    expect(groundGlassLevel(ball(-500, -300), box, centre, 12, everywhere)).toBe(GROUND_GLASS_FALLBACK_HU);
  });
});
