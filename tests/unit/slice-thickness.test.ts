import { describe, expect, it } from 'vitest';
import { sliceThickness } from '../../src/core/inference/pipeline';

describe('sliceThickness', () => {
  it('takes the stated SliceThickness when the slices overlap, else the spacing', () => {
    expect(sliceThickness(2.5, 5)).toEqual({ sliceMm: 5, stated: '5 mm slices 2.5 mm apart' });
    expect(sliceThickness(2.5, 2.5)).toEqual({ sliceMm: 2.5, stated: '2.5 mm' });
    // Thin slices with gaps between them: the spacing decides.
    expect(sliceThickness(5, 1)).toEqual({ sliceMm: 5, stated: '5 mm' });
    expect(sliceThickness(1.25, null)).toEqual({ sliceMm: 1.25, stated: '1.25 mm' });
    // A thickness no CT has is not believed.
    expect(sliceThickness(1.25, 0).sliceMm).toBe(1.25);
    expect(sliceThickness(1.25, 250).sliceMm).toBe(1.25);
  });
});
