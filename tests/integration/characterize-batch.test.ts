/**
 * The characterizer's scores do not depend on how candidates are batched: the shipped ensemble on
 * cubes of LIDC-IDRI-0002 scored 1, 16 and 64 (the default) at a time, and in a batch cut short.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSeries, scanDicomInputs } from '../../src/core/dicom';
import type { Vec3, Volume } from '../../src/common/volume';
import { shutdownBlobWorkers } from '../../src/core/inference/blob-pool';
import { CHARACTERIZER_BATCH, characterize, type Character } from '../../src/core/inference/characterize';
import { coarseLungMask } from '../../src/core/inference/lung-mask';
import { getRuntime, releaseRuntimes, type ModelRuntime } from '../../src/core/inference/runtime';
import { lidcStudy, missingData, repoRoot } from '../support/shared-data';

const models = join(repoRoot, 'models');
const skip =
  missingData('ct/LIDC-IDRI-0002.tar.xz') ??
  (existsSync(join(models, 'manifest.json')) ? null : 'shipped models absent (models/manifest.json)');

describe.skipIf(skip !== null)('characterizer batches, LIDC-IDRI-0002', () => {
  let volume: Volume;
  let rt: ModelRuntime;
  const centres: Vec3[] = [];
  beforeAll(async () => {
    const scan = await scanDicomInputs([lidcStudy('0002').seriesDir]);
    volume = (await loadSeries(scan.series[0]!)).volume;
    rt = await getRuntime(models, 'cpu');
    // Every 997th voxel of the lung (vessels, airways, parenchyma, pleura), 150 of them.
    const { coarse, lung } = coarseLungMask(volume, [2, 2, 2]);
    const [cx, cy] = coarse.dims;
    for (let i = 0; i < lung.core.length && centres.length < 150; i += 997) {
      if (!lung.core[i]) continue;
      const g = [i % cx, Math.floor(i / cx) % cy, Math.floor(i / (cx * cy))];
      centres.push(g.map((v, a) => v * coarse.step[a]!) as Vec3);
    }
  }, 300_000);
  afterAll(async () => {
    await shutdownBlobWorkers();
    await releaseRuntimes();
  });

  const run = (batch: number): Promise<Character[]> =>
    characterize(
      volume,
      centres,
      rt,
      () => undefined,
      () => undefined,
      { batch },
    );

  it('gives every candidate the same scores whatever the batch', async () => {
    expect(centres.length).toBe(150);
    const byDefault = await run(CHARACTERIZER_BATCH);
    expect(CHARACTERIZER_BATCH).toBe(64);
    expect(byDefault).toHaveLength(150);
    // 150 = 2 full batches of 64 and one of 22; 9 of 16 and one of 6; 150 of 1.
    for (const batch of [1, 16]) {
      const other = await run(batch);
      // Bit for bit (onnxruntime's kernels work per sample here).
      expect(other).toEqual(byDefault);
    }
    // Not a constant: the cubes differ, and so do their scores.
    expect(new Set(byDefault.map((c) => c.pNodule.toFixed(4))).size).toBeGreaterThan(20);
  }, 300_000);
});
