import { describe, expect, it } from 'vitest';
import type { Vec3 } from '../../src/common/volume';
import { FOV_EDGE_MM, fovCutMm, nearFovCut, seriesEndCutMm } from '../../src/core/inference/fov-edge';
import { FULL_QUOTA_LUNG_ML, quotaShare } from '../../src/core/inference/stage1';
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
  // 40 x 40 pixels of 2 mm, 3 slices; the lung from x = 4 to 56 mm, y = 24 to 56 mm.
  const grid = { dims: [40, 40, 3] as Vec3, step: [2, 2, 1] as Vec3 };
  const spacing: Vec3 = [1, 1, 2];
  const lungFrom = (i0: number) => (i: number, j: number) => i >= i0 && i <= 28 && j >= 12 && j <= 28;
  const volumes = (body: (i: number, j: number) => boolean, inLung = lungFrom(2)) => {
    const core = new Uint8Array(40 * 40 * 3);
    const hu = new Float32Array(40 * 40 * 3);
    for (let k = 0; k < 3; k++)
      for (let j = 0; j < 40; j++)
        for (let i = 0; i < 40; i++) {
          const v = k * 1600 + j * 40 + i;
          core[v] = inLung(i, j) ? 1 : 0;
          hu[v] = inLung(i, j) ? -850 : body(i, j) ? 40 : -1000;
        }
    return { lung: { core, air: core }, hu };
  };

  it('finds no cut where the body lies inside the image, however near its side', () => {
    // Body from x = 2 mm: one pixel of air between it and the side, the lung 2 mm further in.
    const { lung, hu } = volumes((i) => i >= 1);
    expect(fovCutMm(lung, hu, grid, null, spacing)).toEqual([]);
  });

  it('finds the lung within 10 mm of where the image side or the padding cuts the body', () => {
    // The side cuts the body (tissue at x = 0): the lung's left part is cut.
    const side = volumes(() => true);
    const cut = fovCutMm(side.lung, side.hu, grid, null, spacing);
    expect(cut.length).toBeGreaterThan(0);
    expect(Math.max(...cut.map((c) => c[0]))).toBeLessThanOrEqual(4 + 10);
    // Padding out to x = 2 mm beside the body (the reconstruction circle cuts it there).
    const edge = new Uint8Array(1600);
    for (let j = 0; j < 40; j++) edge[j * 40] = 1;
    const padded = volumes((i) => i >= 1);
    expect(fovCutMm(padded.lung, padded.hu, grid, edge, spacing).length).toBeGreaterThan(0);
    // The lung's own air reaching the side (no body left there): cut.
    const open = volumes((i) => i >= 1, lungFrom(0));
    expect(fovCutMm(open.lung, open.hu, grid, null, spacing).length).toBeGreaterThan(0);
  });

  it('drops a candidate within FOV_EDGE_MM of the cut, not one beyond', () => {
    const cut: Vec3[] = [[2, 20, 2]];
    expect(nearFovCut(cut, [2 + FOV_EDGE_MM - 0.5, 20, 1], spacing)).toBe(true);
    expect(nearFovCut(cut, [2 + FOV_EDGE_MM + 0.5, 20, 1], spacing)).toBe(false);
    expect(nearFovCut([], [2, 20, 1], spacing)).toBe(false);
  });
});

describe('seriesEndCutMm', () => {
  // 10 x 10 pixels of 2 mm on the coarse grid, 20 coarse slices of 2 mm (40 volume slices of 1 mm).
  const grid = { dims: [10, 10, 20] as Vec3, step: [2, 2, 2] as Vec3 };
  const spacing: Vec3 = [1, 1, 1];
  const lungOf = (first: number, last: number) => {
    const core = new Uint8Array(2000);
    for (let k = 0; k < 20; k++) {
      const area = k === 0 ? first : k === 19 ? last : 80;
      for (let p = 0; p < area; p++) core[k * 100 + p] = 1;
    }
    return core;
  };

  it('is empty for a series whose ends hold little or no lung (the trachea leaving the top)', () => {
    expect(seriesEndCutMm(lungOf(0, 7), grid, spacing, 40)).toEqual([]);
  });

  it("lists each cut end's lung at the volume's own first and last slice", () => {
    const cut = seriesEndCutMm(lungOf(30, 50), grid, spacing, 40);
    expect(cut.filter((c) => c[2] === 0)).toHaveLength(30);
    expect(cut.filter((c) => c[2] === 39)).toHaveLength(50);
    expect(cut[31]).toEqual([2, 0, 39]);
    // A candidate near the top end is dropped; one FOV_EDGE_MM or more from both ends is kept.
    expect(nearFovCut(cut, [4, 2, 37], spacing)).toBe(true);
    expect(nearFovCut(cut, [4, 2, 20], spacing)).toBe(false);
    // Only the top end cut: the bottom keeps its candidates.
    const top = seriesEndCutMm(lungOf(0, 50), grid, spacing, 40);
    expect(top.every((c) => c[2] === 39)).toBe(true);
    expect(nearFovCut(top, [4, 2, 2], spacing)).toBe(false);
  });
});

describe('quotaShare', () => {
  it('gives a series with less lung than the reference a share of the candidate quotas', () => {
    expect(quotaShare(FULL_QUOTA_LUNG_ML)).toBe(1);
    expect(quotaShare(2 * FULL_QUOTA_LUNG_ML)).toBe(1);
    expect(quotaShare(FULL_QUOTA_LUNG_ML / 4)).toBeCloseTo(0.25, 9);
    expect(quotaShare(0)).toBe(1);
  });
});
