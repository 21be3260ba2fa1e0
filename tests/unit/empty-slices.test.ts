import { describe, expect, it } from 'vitest';
import type { Volume } from '../../src/common/volume';
import { emptySlicesWarning, fillEmptySlices, longestRun } from '../../src/core/inference/empty-slices';

/** 2 x 1 voxels a slice; slice k reads `values[k]` in both voxels. */
function stack(values: number[]): Volume {
  return {
    dims: [2, 1, values.length],
    spacingMm: [1, 1, 2.5],
    originLps: [0, 0, 0],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    hu: Int16Array.from(values.flatMap((v) => [v, v])),
  };
}
const slices = (v: Volume) => Array.from({ length: v.dims[2] }, (_, k) => v.hu[2 * k]);

describe('fillEmptySlices', () => {
  it('interpolates each empty slice between the nearest slices with an image, on a copy', () => {
    const v = stack([0, -1024, -1024, 300, 100, -1024]);
    const f = fillEmptySlices(v, [1, 2, 5]);
    expect(slices(f)).toEqual([0, 100, 200, 300, 100, 100]);
    // The caller's volume (the viewer's) still shows the gaps as air.
    expect(slices(v)).toEqual([0, -1024, -1024, 300, 100, -1024]);
    expect(f.dims).toEqual(v.dims);
    // Empty slices at the start copy the first slice with an image.
    expect(slices(fillEmptySlices(stack([-1024, -1024, -40]), [0, 1]))).toEqual([-40, -40, -40]);
  });

  it('refuses slices the volume does not have, and a volume with no image at all', () => {
    expect(() => fillEmptySlices(stack([0, 1]), [2])).toThrow(/not a slice of this 2-slice volume/);
    expect(() => fillEmptySlices(stack([0, 1]), [0.5])).toThrow(/not a slice/);
    expect(() => fillEmptySlices(stack([-1024, -1024]), [0, 1])).toThrow(
      /every slice of the volume is empty/,
    );
  });

  it('names the count and the longest run in the warning', () => {
    expect(longestRun([9, 3, 4, 5, 7])).toBe(3);
    expect(longestRun([])).toBe(0);
    expect(emptySlicesWarning(5, 3, 2.5)).toContain('(5 slice(s), at most 3 in a row: 7.5 mm)');
  });
});
