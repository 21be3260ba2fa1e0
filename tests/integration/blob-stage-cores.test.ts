/**
 * The blob stage on both cores (blob-pool.ts) against the one-thread detector on the bench scan,
 * LIDC-IDRI-0002: the same candidates, blob for blob; progress to the end; and a cancelled run
 * stops its workers before it throws. Then re-centring and the characterizer's cubes on both
 * cores: the same centres, the same cubes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSeries, scanDicomInputs } from '../../src/core/dicom';
import { PulmoLensError } from '../../src/common/errors';
import type { Volume } from '../../src/common/volume';
import {
  blobWorkersBusy,
  detectBlobsOnCores,
  extractCubesOnCores,
  recentreOnCores,
  shutdownBlobWorkers,
} from '../../src/core/inference/blob-pool';
import { CHARACTERIZER_V2_INPUTS, cubeValues, extractCandidateCubes } from '../../src/core/inference/cubes';
import { recentreCandidate } from '../../src/core/inference/recentre';
import { detectBlobs, type GridMask } from '../../src/core/inference/blobs';
import { coarseLungMask } from '../../src/core/inference/lung-mask';
import { lidcStudy, missingData } from '../support/shared-data';

const missing = missingData('ct/LIDC-IDRI-0002.tar.xz');

describe.skipIf(missing !== null)('blob stage on two cores, LIDC-IDRI-0002', () => {
  let volume: Volume;
  let lung: GridMask;
  /** The one-thread blobs of the first test, reused by the later ones. */
  let blobs: ReturnType<typeof detectBlobs> = [];
  const someBlobs = () =>
    blobs.length > 0 ? blobs : (blobs = detectBlobs(volume, lung, { minDiameterMm: 4 }));
  beforeAll(async () => {
    const scan = await scanDicomInputs([lidcStudy('0002').seriesDir]);
    volume = (await loadSeries(scan.series[0]!)).volume;
    const m = coarseLungMask(volume, [2, 2, 2]);
    lung = { mask: m.lung.core, dims: m.coarse.dims, step: m.coarse.step };
  }, 300_000);
  afterAll(() => shutdownBlobWorkers());

  it('finds exactly the one-thread candidates, in the same order, and reports progress to the end', async () => {
    const opts = { minDiameterMm: 4 };
    const seen: Array<[number, number]> = [];
    const onCores = await detectBlobsOnCores(volume, lung, {
      ...opts,
      threads: 2,
      onProgress: (done, total) => seen.push([done, total]),
    });
    const oneThread = detectBlobs(volume, lung, opts);
    blobs = oneThread;
    expect(oneThread.length).toBeGreaterThan(1000);
    expect(onCores).toEqual(oneThread);
    const total = seen[0]![1];
    expect(seen[0]![0]).toBe(0);
    expect(seen.at(-1)).toEqual([total, total]);
    for (let i = 1; i < seen.length; i++) expect(seen[i]![0]).toBeGreaterThanOrEqual(seen[i - 1]![0]);
  }, 900_000);

  it('re-centres the candidates on two cores exactly as one thread does, in the same order', async () => {
    const candidates = someBlobs().slice(0, 600);
    const mask = { core: lung.mask, grid: { dims: lung.dims, step: lung.step } };
    const oneThread = candidates.map((b) => recentreCandidate(volume, mask, b.centre, b.scaleMm));
    const onCores = await recentreOnCores(volume, mask, candidates, { threads: 2 });
    expect(onCores).toEqual(oneThread);
    // Re-centring moved candidates: the comparison is not of untouched centres.
    expect(
      oneThread.filter((c, i) => c.some((v, a) => v !== candidates[i]!.centre[a])).length,
    ).toBeGreaterThan(100);
    expect(blobWorkersBusy()).toBe(0);
    // Cancelled: CANCELLED, with no worker left running.
    const e = await recentreOnCores(volume, mask, candidates, {
      threads: 2,
      checkCancelled: () => {
        throw new PulmoLensError('CANCELLED', 'analysis cancelled');
      },
    }).catch((x: unknown) => x);
    expect((e as PulmoLensError).code).toBe('CANCELLED');
    expect(blobWorkersBusy()).toBe(0);
  }, 900_000);

  it("makes the characterizer's cubes on two cores exactly as one thread does", async () => {
    const centres = someBlobs()
      .slice(0, 120)
      .map((b) => b.centre);
    const per = cubeValues(CHARACTERIZER_V2_INPUTS);
    const oneThread = new Float32Array(centres.length * per);
    centres.forEach((c, i) =>
      extractCandidateCubes(volume, c, CHARACTERIZER_V2_INPUTS, [-1000, 400], oneThread, i * per),
    );
    const shared = new Float32Array(new SharedArrayBuffer(oneThread.byteLength));
    await extractCubesOnCores(volume, centres, CHARACTERIZER_V2_INPUTS, [-1000, 400], shared, { threads: 2 });
    expect(Buffer.from(shared.buffer).equals(Buffer.from(oneThread.buffer))).toBe(true);
    // Not a blank comparison: lung and tissue both in the cubes.
    expect(new Set(oneThread.subarray(0, per)).size).toBeGreaterThan(1000);
    expect(blobWorkersBusy()).toBe(0);
    await shutdownBlobWorkers();
  }, 900_000);

  it('a cancelled run throws CANCELLED only once no blob worker is still running', async () => {
    let cancelled = false;
    const run = detectBlobsOnCores(volume, lung, {
      minDiameterMm: 4,
      threads: 2,
      // Cancel once both threads are under way (a few blur passes done).
      onProgress: (done) => {
        if (done >= 3) cancelled = true;
      },
      checkCancelled: () => {
        if (cancelled) throw new PulmoLensError('CANCELLED', 'analysis cancelled');
      },
    });
    const e = await run.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PulmoLensError);
    expect((e as PulmoLensError).code).toBe('CANCELLED');
    expect(blobWorkersBusy()).toBe(0);
  }, 900_000);
});
