/**
 * The size of LIDC-IDRI-0001's part-solid nodule (LUNA16: 23.4 mm equivalent diameter) against
 * its four readers' own contours in reader-annotations.xml, measured with the same calipers; and
 * of LIDC-IDRI-0002's ground-glass nodule against the two readers who contoured it (LUNA16 lists
 * it among its excluded marks: fewer than three readers marked it).
 */
import { describe, expect, it } from 'vitest';
import { loadSeries, scanDicomInputs } from '../../src/core/dicom';
import { measureRegion } from '../../src/core/findings/measurements';
import { coarseLungMask, inLungCore } from '../../src/core/inference/lung-mask';
import { outlineNodule } from '../../src/core/inference/nodule-outline';
import { segmentCandidate } from '../../src/core/inference/segment';
import { worldToVoxel, type Vec3 } from '../../src/common/volume';
import { readerOutlines } from '../support/lidc-contours';
import { lidcStudy, missingData } from '../support/shared-data';

/** The series and its readers' outlines of the nodule at `at`, with their span per measure. */
async function withReaders(id: '0001' | '0002', at: Vec3) {
  const { seriesDir, xml } = lidcStudy(id);
  const scan = await scanDicomInputs([seriesDir]);
  const { volume } = await loadSeries(scan.series[0]!);
  const readers = readerOutlines(xml, volume, at, 15);
  const span = (k: 'longAxisMm' | 'shortAxisMm' | 'volumeMm3') => {
    const v = readers.map((r) => r[k]);
    return [Math.min(...v), Math.max(...v)] as const;
  };
  return { volume, readers, span };
}

const missing = missingData('ct/LIDC-IDRI-0001.tar.xz');
const LUNA: Vec3 = [56.20840547, 86.34341278, -115.8675792];

describe.skipIf(missing !== null)('segmentation of LIDC-IDRI-0001 against its readers', () => {
  it('long axis, short axis and volume near the span of the four readers', async () => {
    const { volume, readers, span } = await withReaders('0001', LUNA);
    expect(readers).toHaveLength(4);
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

const missing0002 = missingData('ct/LIDC-IDRI-0002.tar.xz');
/** LUNA16's excluded mark of the ground-glass nodule (reader 3's; reader 2's lies 1.4 mm away). */
const GGN: Vec3 = [59.40267185, 70.18377372, -104.3877531];

describe.skipIf(missing0002 !== null)(
  "segmentation of LIDC-IDRI-0002's ground-glass nodule against its readers",
  () => {
    it('grows over the hazy, heterogeneous nodule to where its haze ends, as its readers drew it', async () => {
      const { volume, readers, span } = await withReaders('0002', GGN);
      expect(readers).toHaveLength(2);
      // Measured by tests/support/lidc-contours.ts: long 28.1-28.5 mm, short 20.1-21.7 mm, volume
      // 6577-7912 mm^3 (a juxtapleural nodule of mean -670 HU in -870 HU parenchyma, many of its
      // voxels below -750 HU: its texture is bubbly).
      expect(span('longAxisMm')[0]).toBeCloseTo(28.13, 1);
      expect(span('shortAxisMm')[1]).toBeCloseTo(21.69, 1);
      expect(span('volumeMm3')[0]).toBeCloseTo(6577, -1);

      const { coarse, lung } = coarseLungMask(volume, [2, 2, 2]);
      const inLung = inLungCore(coarse, lung);
      // Stage 1's scale for this nodule is far below its size (the app's candidate had ~10 mm):
      // the outline must not depend on it.
      for (const extentMm of [6, 10, 20]) {
        const m = measureRegion(
          segmentCandidate(volume, {
            centre: worldToVoxel(volume, GGN),
            type: 'ground-glass',
            extentMm,
            inLung,
          }),
          volume,
        );
        // Before (a fixed -750 HU level on the raw voxels): 16.6 x 15.6 mm, 1849 mm^3 (the porous
        // mask gave a 4.9 mm inscribed radius, and the outline's reach stopped there). Then (level
        // half-way between the nodule and the peak of its parenchyma on a 1 mm-smoothed image):
        // 19.7 x 18.5 mm, 2549 mm^3 at 6 and 10 mm, 21.5 x 20.3 mm, 3599 mm^3 at 20 mm; with the
        // solid vessels beside it set aside (segment.ts attachedStructures) 20.9 x 18.1 mm,
        // 3072 mm^3 at 6 and 10 mm, 21.5 x 18.5 mm, 3694 mm^3 at 20 mm (Dice with the readers'
        // union 0.48). The readers' contours take in the haze that fades out 2-4 mm beyond the
        // half-way level, barely above the parenchyma: that haze is now outlined where it ends
        // (segment.ts haloBeyond). Within 1.5 mm of the readers' axes (about two pixels) and 10%
        // of their volumes.
        console.log(
          `[report] LIDC-IDRI-0002 ground-glass nodule at ${extentMm} mm: ${m.longAxisMm.toFixed(1)} x ${m.shortAxisMm.toFixed(1)} mm, ${m.volumeMm3.toFixed(0)} mm^3`,
        );
        expect(m.longAxisMm, `long axis at ${extentMm} mm`).toBeGreaterThanOrEqual(
          span('longAxisMm')[0] - 1.5,
        );
        expect(m.longAxisMm).toBeLessThanOrEqual(span('longAxisMm')[1] + 1.5);
        expect(m.shortAxisMm, `short axis at ${extentMm} mm`).toBeGreaterThanOrEqual(
          span('shortAxisMm')[0] - 1.5,
        );
        expect(m.shortAxisMm).toBeLessThanOrEqual(span('shortAxisMm')[1] + 1.5);
        expect(m.volumeMm3, `volume at ${extentMm} mm`).toBeGreaterThan(0.9 * span('volumeMm3')[0]);
        expect(m.volumeMm3).toBeLessThan(1.1 * span('volumeMm3')[1]);
      }
    }, 600_000);

    it('is outlined the same from the off-centre spot where the app finds it', async () => {
      const { volume, span } = await withReaders('0002', GGN);
      const { coarse, lung } = coarseLungMask(volume, [2, 2, 2]);
      // Stage 1's candidate for this nodule (`pulmolens analyze`: voxel [339, 362, 190], scale
      // 16 mm), 8.6 mm from LUNA16's mark, where the nodule is denser than at its middle (median
      // -528 against -660 HU within 4 mm, 1 mm-smoothed). Its density, and so the level the
      // outline is drawn at, was read there: 26.6 x 21.8 mm, 5808 mm^3, 12% under the readers'
      // smallest volume. The outline is drawn again from its own middle (nodule-outline.ts
      // outlineNodule).
      const candidate: Vec3 = [55.576299, 72.254042, -97];
      const { m, type } = outlineNodule(volume, {
        centre: worldToVoxel(volume, candidate),
        modelType: 'ground-glass',
        extentMm: 16,
        inLung: inLungCore(coarse, lung),
      });
      console.log(
        `[report] LIDC-IDRI-0002 ground-glass nodule from the app's candidate: ${m.longAxisMm.toFixed(1)} x ${m.shortAxisMm.toFixed(1)} mm, ${m.volumeMm3.toFixed(0)} mm^3`,
      );
      expect(type).toBe('ground-glass');
      expect(m.volumeMm3).toBeGreaterThanOrEqual(span('volumeMm3')[0]);
      expect(m.volumeMm3).toBeLessThanOrEqual(span('volumeMm3')[1]);
      expect(m.longAxisMm).toBeGreaterThanOrEqual(span('longAxisMm')[0] - 1.5);
      expect(m.longAxisMm).toBeLessThanOrEqual(span('longAxisMm')[1] + 1.5);
      expect(m.shortAxisMm).toBeGreaterThanOrEqual(span('shortAxisMm')[0] - 1.5);
      expect(m.shortAxisMm).toBeLessThanOrEqual(span('shortAxisMm')[1] + 1.5);
    }, 600_000);
  },
);
