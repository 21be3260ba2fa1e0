/**
 * A series with a slice missing (an incomplete transfer, a file that would not decode) still gets
 * the analysis of the whole series: the loader leaves the gap as air for the viewer and says so, and
 * the analysis fills it from its neighbours and says that. Session 28: the air slab opened the lungs
 * to the air outside the body, the lung mask found no lung, and the whole volume was searched.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSeries, scanDicomInputs } from '../../src/core/dicom';
import { analyzeSeries, inferenceConfig, shutdownInference } from '../../src/core/inference';
import { EMPTY_SLICES_WARNING } from '../../src/core/inference/empty-slices';
import { lidcStudy, missingData, repoRoot } from '../support/shared-data';

const STUDY = '0001';
const skip = missingData(`ct/LIDC-IDRI-${STUDY}.tar.xz`);
if (skip) console.warn(`[skip] LIDC-IDRI-${STUDY} with a slice missing: ${skip}`);

afterAll(() => shutdownInference());

describe.skipIf(skip !== null)(`LIDC-IDRI-${STUDY} with its middle slice missing`, () => {
  it('loads with the gap shown as air and analyses as the whole series does', async () => {
    const whole = await scanDicomInputs([lidcStudy(STUDY).seriesDir]);
    const frames = whole.series[0]!.frames;
    const gone = frames[Math.floor(frames.length / 2)]!;
    const scan = await scanDicomInputs(frames.filter((f) => f !== gone).map((f) => f.path));
    expect(scan.series).toHaveLength(1);
    const holed = await loadSeries(scan.series[0]!);
    expect(holed.emptySlices).toEqual([gone.slot]);
    expect(holed.series.warnings.some((w) => /missing 1 slice/.test(w))).toBe(true);
    const plane = holed.volume.dims[0] * holed.volume.dims[1];
    expect(
      holed.volume.hu.subarray(gone.slot * plane, (gone.slot + 1) * plane).every((v) => v === -1024),
    ).toBe(true);

    const config = inferenceConfig({ modelsDir: join(repoRoot, 'models'), provider: 'cpu' });
    const full = await loadSeries(whole.series[0]!);
    expect(full.emptySlices).toEqual([]);
    const a = await analyzeSeries(full, config);
    const b = await analyzeSeries(holed, config);
    const where = (d: typeof a.document) => d.findings.map((f) => f.centerLps);
    console.log(
      `[report] whole: ${JSON.stringify(where(a.document))}; slice ${gone.slot} missing: ${JSON.stringify(where(b.document))}; ${b.document.warnings!.join(' | ')}`,
    );
    expect(b.document.warnings!.some((w) => w.startsWith(EMPTY_SLICES_WARNING))).toBe(true);
    expect(b.document.warnings!.some((w) => /no lung found/.test(w))).toBe(false);
    // The same findings, within a few millimetres: one interpolated slice moves a segmentation a little.
    expect(b.document.findings.length).toBe(a.document.findings.length);
    b.document.findings.forEach((f, n) => {
      const g = a.document.findings[n]!;
      expect(Math.hypot(...f.centerLps.map((x, i) => x - g.centerLps[i]!))).toBeLessThan(3);
    });
    // The viewer's volume is untouched: the gap still reads air.
    expect(
      holed.volume.hu.subarray(gone.slot * plane, (gone.slot + 1) * plane).every((v) => v === -1024),
    ).toBe(true);
  }, 300_000);
});
