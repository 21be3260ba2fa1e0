/**
 * A series that covers only part of the lungs (a lower-chest or upper-abdomen scan, a
 * reconstruction of part of the range): LIDC-IDRI-0002 cut to its middle 40% and LIDC-IDRI-0001 to
 * its upper 55%. Session 29: the per-series candidate quotas put the whole quota on the lung the
 * series holds (weaker blobs than the characterizer ever learnt from became candidates), and vessels
 * cut off by the series' ends read as nodules: the middle of LIDC-IDRI-0002 listed 6 findings away
 * from every LUNA16 mark (the whole scan: none), three within 10 mm of its ends. Now the quotas
 * follow the lung held, the analysis leaves out what lies within 16 mm of an end inside the lungs,
 * and says so.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { voxelToWorld, worldToVoxel, type Vec3 } from '../../src/common/volume';
import { loadSeries, scanDicomInputs } from '../../src/core/dicom';
import { analyzeSeries, inferenceConfig, shutdownInference } from '../../src/core/inference';
import { readLuna16Annotations, readLuna16Excluded } from '../../src/core/eval';
import { FOV_EDGE_MM, SERIES_END_WARNING } from '../../src/core/inference/fov-edge';
import { lidcStudy, missingData, repoRoot, sharedPath } from '../support/shared-data';

const skip = missingData(
  'ct/LIDC-IDRI-0001.tar.xz',
  'ct/LIDC-IDRI-0002.tar.xz',
  'ct/luna16-annotations.csv',
  'ct/luna16-annotations-excluded.csv',
);
if (skip) console.warn(`[skip] LIDC-IDRI-0001/0002 covering part of the lungs: ${skip}`);

afterAll(() => shutdownInference());

/** LUNA16's marks (nodules and excluded) of a series: centre and radius (15 mm when not given). */
function marks(seriesUid: string): { at: Vec3; r: number }[] {
  const read = (f: string) => ({
    path: sharedPath('ct', f),
    text: readFileSync(sharedPath('ct', f), 'utf8'),
  });
  return [
    ...(readLuna16Annotations(read('luna16-annotations.csv')).get(seriesUid) ?? []),
    ...(readLuna16Excluded(read('luna16-annotations-excluded.csv')).get(seriesUid) ?? []),
  ].map((m) => ({ at: m.centerLps, r: m.diameterMm ? m.diameterMm / 2 : 15 }));
}

/** The series with only the slices (in position order) from `from` to `to` (shares of the count). */
async function part(id: '0001' | '0002', from: number, to: number) {
  const whole = await scanDicomInputs([lidcStudy(id).seriesDir]);
  const frames = [...whole.series[0]!.frames].sort((a, b) => a.slot - b.slot);
  const n = frames.length;
  const kept = frames.filter((_, k) => k >= from * n && k < to * n);
  const scan = await scanDicomInputs(kept.map((f) => f.path));
  return { loaded: await loadSeries(scan.series[0]!), uid: whole.series[0]!.metadata.seriesInstanceUid };
}

describe.skipIf(skip !== null)('a series covering part of the lungs', () => {
  const config = inferenceConfig({ modelsDir: join(repoRoot, 'models'), provider: 'cpu' });

  it('LIDC-IDRI-0002, middle 40%: no flood of findings, nothing listed at its ends, and it says so', async () => {
    const { loaded, uid } = await part('0002', 0.3, 0.7);
    const { document } = await analyzeSeries(loaded, config);
    const known = marks(uid);
    const away = document.findings.filter(
      (f) => !known.some((m) => Math.hypot(...f.centerLps.map((x, a) => x - m.at[a]!)) <= m.r),
    );
    const nz = loaded.volume.dims[2];
    const endMm = (f: { centerLps: number[] }) => {
      const k = worldToVoxel(loaded.volume, f.centerLps as Vec3)[2];
      return Math.min(k, nz - 1 - k) * loaded.volume.spacingMm[2];
    };
    console.log(
      `[report] 0002 middle 40%: ${document.findings.length} finding(s), ${away.length} away from LUNA16's marks (p ${away.map((f) => f.probability).join(', ')}); ${document.candidates!.length + document.findings.length} candidates; ${document.warnings!.filter((w) => w.startsWith(SERIES_END_WARNING)).join('')}`,
    );
    expect(document.warnings!.some((w) => w.startsWith(SERIES_END_WARNING))).toBe(true);
    expect([...document.findings, ...document.candidates!].every((c) => endMm(c) >= FOV_EDGE_MM - 1)).toBe(
      true,
    );
    // Measured 2 (session 29; 6 before), 3 since the score fusion (session 44: p 0.907, 0.884,
    // 0.839 at its lower threshold 0.7927; training/coverage_check.ts, 5 over the 6 partial copies
    // against 4): a partial series is not a whole scan's 0, but no flood.
    expect(away.length).toBeLessThanOrEqual(3);
    // The whole scan's density of candidates, not the whole scan's count on 40% of its lung.
    expect(document.candidates!.length + document.findings.length).toBeLessThan(1000);
  }, 300_000);

  it('LIDC-IDRI-0001, upper 55%: the nodule is still finding #1 and nothing else is listed', async () => {
    const { loaded, uid } = await part('0001', 0.45, 1);
    const { document } = await analyzeSeries(loaded, config);
    const nodule = marks(uid)[0]!;
    const first = document.findings[0]!;
    console.log(
      `[report] 0001 upper 55%: ${document.findings.length} finding(s): ${JSON.stringify(document.findings.map((f) => [f.centerLps, f.probability]))}; first slice at z ${voxelToWorld(loaded.volume, [0, 0, 0])[2].toFixed(1)}`,
    );
    expect(Math.hypot(...first.centerLps.map((x, a) => x - nodule.at[a]!))).toBeLessThan(nodule.r);
    expect(document.findings).toHaveLength(1);
  }, 300_000);
});
