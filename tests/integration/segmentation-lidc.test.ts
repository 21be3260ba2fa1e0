/**
 * The size of LIDC-IDRI-0001's part-solid nodule (LUNA16: 23.4 mm equivalent diameter) against
 * its four readers' own contours in reader-annotations.xml, measured with the same calipers.
 */
import { describe, expect, it } from 'vitest';
import { loadSeries, scanDicomInputs } from '../../src/core/dicom';
import { measureRegion } from '../../src/core/findings/measurements';
import { coarseLungMask, inLungCore } from '../../src/core/inference/lung-mask';
import { segmentCandidate } from '../../src/core/inference/segment';
import { worldToVoxel, type Vec3 } from '../../src/common/volume';
import { readerOutlines } from '../support/lidc-contours';
import { lidcStudy, missingData } from '../support/shared-data';

const missing = missingData('ct/LIDC-IDRI-0001.tar.xz');
const LUNA: Vec3 = [56.20840547, 86.34341278, -115.8675792];

describe.skipIf(missing !== null)('segmentation of LIDC-IDRI-0001 against its readers', () => {
  it('long axis, short axis and volume near the span of the four readers', async () => {
    const { seriesDir, xml } = lidcStudy('0001');
    const scan = await scanDicomInputs([seriesDir]);
    const { volume } = await loadSeries(scan.series[0]!);
    const readers = readerOutlines(xml, volume, LUNA, 15);
    expect(readers).toHaveLength(4);
    const span = (k: 'longAxisMm' | 'shortAxisMm' | 'volumeMm3') => {
      const v = readers.map((r) => r[k]);
      return [Math.min(...v), Math.max(...v)] as const;
    };
    // The readers' span, measured by tests/support/lidc-contours.ts:
    // long 32.7-34.4 mm, short 26.8-28.0 mm, volume 6146-7869 mm^3.
    const long = span('longAxisMm');
    const short = span('shortAxisMm');
    const vol = span('volumeMm3');
    expect(long[0]).toBeCloseTo(32.66, 1);
    expect(long[1]).toBeCloseTo(34.37, 1);
    expect(short[0]).toBeCloseTo(26.83, 1);
    expect(short[1]).toBeCloseTo(28.04, 1);
    expect(vol[0]).toBeCloseTo(6146, -1);
    expect(vol[1]).toBeCloseTo(7869, -1);

    const { coarse, lung } = coarseLungMask(volume, [2, 2, 2]);
    const inLung = inLungCore(coarse, lung);
    // The centre and scale stage 1 gives this nodule (blob peak within 1 mm of LUNA16, 22.6 mm scale).
    const m = measureRegion(
      segmentCandidate(volume, {
        centre: worldToVoxel(volume, LUNA),
        type: 'part-solid',
        extentMm: 22.6,
        inLung,
      }),
      volume,
    );
    // Before: 37.3 x 37.0 mm, 9145 mm^3 (grown into the parenchyma and vessels around it).
    expect(m.volumeMm3).toBeGreaterThanOrEqual(vol[0]);
    expect(m.volumeMm3).toBeLessThanOrEqual(vol[1]);
    // Axes within 2 mm (3 pixels) of the readers' span (measured: 32.5 x 29.6 mm). On the slice
    // they measure (z -117.5) the readers' long axis ends ~5 mm up the vessel that enters the
    // nodule anteriorly (readers rate it spiculated 3-5), which the opening cuts by design; the
    // short axis takes in a one-slice plate of -380 to -520 HU on the posterior margin that the
    // readers left out. A level half-way between nodule and local parenchyma drops the plate
    // (short 27.3) but also the vessel base (long 27.7); regrowing that base adds the same stubs
    // to the inserted spheres of training/size_check.ts. No level or regrowth meets both.
    expect(m.longAxisMm).toBeGreaterThanOrEqual(long[0] - 2);
    expect(m.longAxisMm).toBeLessThanOrEqual(long[1] + 2);
    expect(m.shortAxisMm).toBeGreaterThanOrEqual(short[0] - 2);
    expect(m.shortAxisMm).toBeLessThanOrEqual(short[1] + 2);
  }, 600_000);
});
