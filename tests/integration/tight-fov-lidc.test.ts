/**
 * A tight field of view: LIDC-IDRI-0002 with its columns cut to 259 mm and 232 mm (the chest wall
 * and, at the bases, the lungs run into the image's side, as in a large patient scanned with a
 * small FOV). The lung mask must still find the lungs. Session 28: a lung touching the side in any
 * slice was taken for air outside the body, no lung was found, the whole volume was searched and
 * 19-25 findings were listed instead of the scan's 5.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Volume } from '../../src/common/volume';
import { loadSeries, scanDicomInputs } from '../../src/core/dicom';
import { analyzeSeries, inferenceConfig, shutdownInference } from '../../src/core/inference';
import { coarseLungMask } from '../../src/core/inference/lung-mask';
import { lidcStudy, missingData, repoRoot } from '../support/shared-data';

const skip = missingData('ct/LIDC-IDRI-0002.tar.xz');
if (skip) console.warn(`[skip] LIDC-IDRI-0002 with a tight field of view: ${skip}`);

afterAll(() => shutdownInference());

/** Columns [from, to) of every slice, the geometry moved so each voxel stays where it was. */
function columns(v: Volume, from: number, to: number): Volume {
  const [nx, ny, nz] = v.dims;
  const mx = to - from;
  const hu = new Int16Array(mx * ny * nz);
  for (let r = 0; r < ny * nz; r++) hu.set(v.hu.subarray(r * nx + from, r * nx + to), r * mx);
  const d = v.direction;
  const shift = from * v.spacingMm[0];
  return {
    ...v,
    dims: [mx, ny, nz],
    originLps: [v.originLps[0] + shift * d[0], v.originLps[1] + shift * d[1], v.originLps[2] + shift * d[2]],
    hu,
  };
}

describe.skipIf(skip !== null)('LIDC-IDRI-0002 with a tight field of view', () => {
  it('finds the lungs where they run into the side of the image, and lists no flood', async () => {
    const scan = await scanDicomInputs([lidcStudy('0002').seriesDir]);
    const { volume, series } = await loadSeries(scan.series[0]!);
    const full = coarseLungMask(volume, [2, 2, 2]).lung;
    expect(full.found).toBe(true);
    for (const [from, to] of [
      [66, 446],
      [86, 426],
    ] as const) {
      const cut = columns(volume, from, to);
      const { lung } = coarseLungMask(cut, [2, 2, 2]);
      console.log(
        `[report] ${to - from} columns: lung found ${lung.found}, ${lung.voxels} voxels (whole scan ${full.voxels})`,
      );
      expect(lung.found).toBe(true);
      // Most of the lungs are still inside the cut image.
      expect(lung.voxels).toBeGreaterThan(0.75 * full.voxels);
      expect(lung.voxels).toBeLessThan(1.05 * full.voxels);
    }
    const r = await analyzeSeries(
      { volume: columns(volume, 66, 446), series },
      inferenceConfig({ modelsDir: join(repoRoot, 'models'), provider: 'cpu' }),
    );
    console.log(`[report] 380 columns: ${r.document.findings.length} findings`);
    expect(r.document.warnings!.some((w) => /no lung found/.test(w))).toBe(false);
    // The whole scan lists 5 findings, all at LUNA16's excluded marks.
    expect(r.document.findings.length).toBeLessThanOrEqual(8);
  }, 300_000);
});
