import { describe, expect, it } from 'vitest';
import type { Vec3 } from '../../src/common/volume';
import { FOV_EDGE_MM, fovCutMm, nearFovCut } from '../../src/core/inference/fov-edge';
import { outsideFieldOfView } from '../../src/core/inference/lung-mask';

describe('outsideFieldOfView', () => {
  it('marks the pixels that hold one padding value through every slice, not noisy air', () => {
    const [nx, ny, nz] = [6, 4, 12];
    const hu = new Int16Array(nx * ny * nz);
    for (let k = 0; k < nz; k++)
      for (let j = 0; j < ny; j++)
        for (let i = 0; i < nx; i++)
          // Column 0: padding; column 1: air with noise; the rest: tissue.
          hu[(k * ny + j) * nx + i] = i === 0 ? -1024 : i === 1 ? -1000 - ((k * 7 + j) % 13) : 40;
    const out = outsideFieldOfView({ dims: [nx, ny, nz], hu })!;
    expect(Array.from({ length: ny }, (_, j) => out[j * nx])).toEqual([1, 1, 1, 1]);
    expect(out.reduce((a, b) => a + b, 0)).toBe(ny);
    // Too few slices to tell padding from air: nothing is marked.
    expect(outsideFieldOfView({ dims: [nx, ny, 3], hu: hu.subarray(0, nx * ny * 3) })).toBeNull();
  });
});

describe('fovCutMm', () => {
  const grid = { dims: [40, 40, 3] as Vec3, step: [2, 2, 1] as Vec3 };
  const spacing: Vec3 = [1, 1, 2];
  const core = (inside: (i: number, j: number) => boolean) => {
    const c = new Uint8Array(40 * 40 * 3);
    for (let k = 0; k < 3; k++)
      for (let j = 0; j < 40; j++)
        for (let i = 0; i < 40; i++) if (inside(i, j)) c[k * 1600 + j * 40 + i] = 1;
    return c;
  };

  it('finds lung within 10 mm of the image side or the padding, and none farther in', () => {
    // Lung from x, y = 24 to 56 mm (grid 12-28) in an 80 mm image: more than 10 mm from every side.
    const inner = (i: number, j: number) => i >= 12 && i <= 28 && j >= 12 && j <= 28;
    expect(fovCutMm(core(inner), grid, null, spacing)).toEqual([]);
    // The same lung reaching x = 2 mm: cut along its left side.
    const cut = fovCutMm(
      core((i, j) => i >= 1 && i <= 28 && j >= 12 && j <= 28),
      grid,
      null,
      spacing,
    );
    expect(cut.length).toBeGreaterThan(0);
    expect(Math.max(...cut.map((c) => c[0]))).toBeLessThanOrEqual(10);
    // Padding out to x = 16 mm (grid 0-8) makes the inner lung cut too.
    const edge = new Uint8Array(1600);
    for (let j = 0; j < 40; j++) for (let i = 0; i <= 8; i++) edge[j * 40 + i] = 1;
    expect(fovCutMm(core(inner), grid, edge, spacing).length).toBeGreaterThan(0);
  });

  it('drops a candidate within FOV_EDGE_MM of the cut, not one beyond', () => {
    const cut: Vec3[] = [[2, 20, 2]];
    expect(nearFovCut(cut, [2 + FOV_EDGE_MM - 0.5, 20, 1], spacing)).toBe(true);
    expect(nearFovCut(cut, [2 + FOV_EDGE_MM + 0.5, 20, 1], spacing)).toBe(false);
    expect(nearFovCut([], [2, 20, 1], spacing)).toBe(false);
  });
});
