import { describe, expect, it } from 'vitest';
import { axialAxes, measureRegion, thresholdRegion } from '../../src/core/findings/measurements';
import { patientAgeYears, patientSex } from '../../src/common/findings/patient';
import type { Volume } from '../../src/common/volume';

function volumeOf(dims: [number, number, number], spacing: [number, number, number], hu: number): Volume {
  return {
    dims,
    spacingMm: spacing,
    originLps: [0, 0, 0],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    hu: new Int16Array(dims[0] * dims[1] * dims[2]).fill(hu),
  };
}

describe('nodule measurements from a segmentation', () => {
  it('a 7 x 3 pixel rectangle at 1 mm: long axis is its diagonal', () => {
    const px: Array<[number, number]> = [];
    for (let y = 0; y < 3; y++) for (let x = 0; x < 7; x++) px.push([x, y]);
    // farthest centres (0,0)-(6,2): sqrt(36 + 4) = 6.32456; + 1 pixel = 7.32456
    // perpendicular w = (-2, 6)/6.32456 = (-0.31623, 0.94868): projections of the centres span
    // (0,2) -> 1.89737 to (6,0) -> -1.89737, width 3.79473; + 1 pixel = 4.79473
    const { longMm, shortMm } = axialAxes(px, 1, 1);
    expect(longMm).toBeCloseTo(7.32456, 4);
    expect(shortMm).toBeCloseTo(4.79473, 4);
  });

  it('a single pixel measures one pixel each way', () => {
    expect(axialAxes([[3, 3]], 0.7, 0.7)).toEqual({ longMm: 0.7, shortMm: 0.7 });
  });

  it('measures a plus-shaped slice, volume, mean HU and the slice of largest area', () => {
    const vol = volumeOf([20, 20, 10], [0.5, 0.5, 2], -800);
    const size: [number, number, number] = [11, 11, 3];
    const mask = new Uint8Array(11 * 11 * 3);
    // slice c = 1: a plus of arm length 5 px (11 px across each way, 21 px)
    for (let t = 0; t < 11; t++) {
      mask[t + 5 * 11 + 1 * 121] = 1;
      mask[5 + t * 11 + 1 * 121] = 1;
    }
    // slice c = 2: a single pixel at the centre
    mask[5 + 5 * 11 + 2 * 121] = 1;
    // make the voxels of the region 40 HU, except that single pixel at -100 HU
    const origin: [number, number, number] = [4, 6, 3];
    for (let c = 0; c < 3; c++)
      for (let b = 0; b < 11; b++)
        for (let a = 0; a < 11; a++)
          if (mask[a + b * 11 + c * 121])
            vol.hu[origin[0] + a + (origin[1] + b) * 20 + (origin[2] + c) * 400] = c === 2 ? -100 : 40;
    const m = measureRegion({ origin, size, mask }, vol);
    // 22 voxels of 0.5 * 0.5 * 2 = 0.5 mm^3 -> 11 mm^3
    expect(m.voxelCount).toBe(22);
    expect(m.volumeMm3).toBeCloseTo(11, 9);
    // (21 * 40 - 100) / 22 = 740 / 22 = 33.636
    expect(m.meanHu).toBeCloseTo(33.6364, 3);
    expect(m.axialSlice).toBe(4);
    // plus arms: centre distance between arm tips (0,5)-(10,5) = 10 px = 5 mm; tips (0,5)-(5,0) are
    // only 7.07 px apart, so the long axis is 5 + 0.5 = 5.5 mm; perpendicular span is the other arm: 5.5
    expect(m.longAxisMm).toBeCloseTo(5.5, 9);
    expect(m.shortAxisMm).toBeCloseTo(5.5, 9);
    expect(m.meanDiameterMm).toBeCloseTo(5.5, 9);
    // thresholding at 0 HU keeps the 21 voxels at 40 HU and drops the one at -100 HU
    expect(thresholdRegion({ origin, size, mask }, vol, 0).mask.reduce((s, v) => s + v, 0)).toBe(21);
  });

  it('reads patient age and sex from DICOM strings', () => {
    expect(patientAgeYears('065Y')).toBe(65);
    expect(patientAgeYears('018M')).toBe(1.5);
    expect(patientAgeYears('', '19500615', '20100614')).toBe(59);
    expect(patientAgeYears('', '19500615', '20100615')).toBe(60);
    expect(patientAgeYears('', '', '')).toBeNull();
    expect(patientSex('F')).toBe('female');
    expect(patientSex('M ')).toBe('male');
    expect(patientSex('O')).toBeNull();
  });
});
