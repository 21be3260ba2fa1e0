/**
 * LAA-950 (percentage of lung voxels below -950 HU) on the real LIDC-IDRI-0001 series: a figure in
 * the physiological range, stated threshold and cut-off, and it responds to the lung's HU as the
 * index must (more low-attenuation lung -> a higher figure by the right amount; none -> 0).
 */
import { describe, expect, it } from 'vitest';
import { loadSeries, scanDicomInputs } from '../../src/core/dicom';
import {
  EMPHYSEMA_CUTOFF_PERCENT,
  LAA_THRESHOLD_HU,
  measureEmphysema,
} from '../../src/core/inference/emphysema';
import { lidcStudy, missingData } from '../support/shared-data';

describe.skipIf(missingData('ct/LIDC-IDRI-0001.tar.xz'))('LAA-950 on LIDC-IDRI-0001', () => {
  it('measures the low-attenuation area inside the lung and follows changes of lung HU', async () => {
    const scan = await scanDicomInputs([lidcStudy('0001').seriesDir]);
    const { volume } = await loadSeries(scan.series[0]!);
    const m = measureEmphysema(volume);
    console.info(`LIDC-IDRI-0001 LAA-950 = ${m.laaPercent} % of ${m.lungVoxels} lung voxels`);
    expect(m).toMatchObject({
      thresholdHu: LAA_THRESHOLD_HU,
      cutoffPercent: EMPHYSEMA_CUTOFF_PERCENT,
      lungFound: true,
    });
    // Lung volume of an adult on this 0.7 x 0.7 x 2.5 mm grid: litres, not millilitres.
    expect(m.lungVoxels).toBeGreaterThan(1_000_000);
    expect(m.laaPercent).toBeGreaterThan(0);
    expect(m.laaPercent).toBeLessThan(40);
    expect(m.suggested).toBe(m.laaPercent >= EMPHYSEMA_CUTOFF_PERCENT);

    // Voxels between -950 and -900 HU pushed to -980: the index rises by their share.
    const hu = volume.hu.slice();
    let moved = 0;
    for (let v = 0; v < hu.length; v++) {
      if (hu[v]! >= -950 && hu[v]! < -900) {
        hu[v] = -980;
        moved++;
      }
    }
    const more = measureEmphysema({ ...volume, hu });
    expect(more.laaPercent).toBeGreaterThan(m.laaPercent + 5);
    expect(more.laaPercent - m.laaPercent).toBeLessThanOrEqual((100 * moved) / m.lungVoxels + 0.2);
    // A lower threshold counts fewer voxels.
    expect(measureEmphysema(volume, { thresholdHu: -1000 }).laaPercent).toBeLessThan(m.laaPercent);
  });
});
