/**
 * The same patient stored in another voxel order is the same analysis: LIDC-IDRI-0001 with its rows
 * and columns reversed (as a prone protocol or another scanner's convention stores it; the patient
 * geometry adjusted so every voxel stays where it was) gives the same findings, candidates and
 * scores at the same patient positions, voxel coordinates on the grid it was stored on, and the
 * same heatmap on that grid. Session 28: before the analysis ran in one canonical voxel order, this
 * copy listed a second finding (p 0.886) that the scan as stored never lists.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Volume } from '../../src/common/volume';
import { loadSeries, scanDicomInputs } from '../../src/core/dicom';
import { analyzeSeries, inferenceConfig, shutdownInference } from '../../src/core/inference';
import { flipGeometry, flipVoxels } from '../../src/core/inference/canonical-orientation';
import { lidcStudy, missingData, repoRoot } from '../support/shared-data';

const skip = missingData('ct/LIDC-IDRI-0001.tar.xz');
if (skip) console.warn(`[skip] LIDC-IDRI-0001 stored mirrored: ${skip}`);

afterAll(() => shutdownInference());

describe.skipIf(skip !== null)('LIDC-IDRI-0001 stored with rows and columns reversed', () => {
  it('gives the analysis of the scan as stored, on its own grid', async () => {
    const scan = await scanDicomInputs([lidcStudy('0001').seriesDir]);
    const { volume, series } = await loadSeries(scan.series[0]!);
    const flips = [true, true, false] as const;
    const mirrored: Volume = {
      ...flipGeometry(volume, flips),
      hu: flipVoxels(volume.hu, volume.dims, flips),
    };
    const config = inferenceConfig({ modelsDir: join(repoRoot, 'models'), provider: 'cpu' });
    const a = await analyzeSeries({ volume, series }, config);
    const b = await analyzeSeries({ volume: mirrored, series }, config);
    const [nx, ny] = volume.dims;
    const onMirror = ([i, j, k]: readonly number[]) => [nx - 1 - i!, ny - 1 - j!, k];
    const summary = (f: { centerLps: number[]; probability: number }) => [f.centerLps, f.probability];
    console.log(
      `[report] as stored ${JSON.stringify(a.document.findings.map(summary))}; mirrored ${JSON.stringify(b.document.findings.map(summary))}`,
    );

    expect(b.document.findings.length).toBeGreaterThan(0);
    expect(b.document.findings.map(summary)).toEqual(a.document.findings.map(summary));
    expect(b.document.findings.map((f) => [f.diameterMm, f.volumeMm3, f.lungRads])).toEqual(
      a.document.findings.map((f) => [f.diameterMm, f.volumeMm3, f.lungRads]),
    );
    expect(b.document.findings.map((f) => f.centerVoxel)).toEqual(
      a.document.findings.map((f) => onMirror(f.centerVoxel)),
    );
    expect(b.document.candidates!.map(summary)).toEqual(a.document.candidates!.map(summary));
    expect(b.document.candidates!.map((c) => c.centerVoxel)).toEqual(
      a.document.candidates!.map((c) => onMirror(c.centerVoxel)),
    );
    // The heatmap on the mirrored grid, with the mirrored geometry: the same bytes once flipped back.
    expect(b.heatmap.originLps).toEqual(mirrored.originLps);
    expect(b.heatmap.direction).toEqual(mirrored.direction);
    expect(
      Buffer.from(flipVoxels(b.heatmap.data, b.heatmap.dims, flips)).equals(Buffer.from(a.heatmap.data)),
    ).toBe(true);
  }, 300_000);
});
