/**
 * What stage 1 computes before any selection, the app's own steps (src/core/inference/stage1.ts
 * runStage1) without its quotas and union: the lung mask, every raw blob maximum over the whole
 * volume and the U-Net heatmap. Shared by the offline stage-1 tools (stage1_dump.ts,
 * stage1_misses.ts).
 */
import { blobSlab, planBlobs, type BlobCandidate } from '../src/core/inference/blobs';
import { defaultTiling, detectHeatmap } from '../src/core/inference/detect';
import { gridFor } from '../src/core/inference/grid';
import { coarseLungMask } from '../src/core/inference/lung-mask';
import type { getRuntime } from '../src/core/inference/runtime';
import { minBlobDiameterFor } from '../src/core/inference/stage1';
import type { Volume } from '../src/common/volume';

/** The app's detector pass alone: its grid, the lung mask it runs inside, and the U-Net heatmap. */
export async function detectorPass(volume: Volume, rt: Awaited<ReturnType<typeof getRuntime>>) {
  const det = rt.manifest.detector;
  const grid = gridFor(volume, det.spacingMm);
  const { coarse, lung } = coarseLungMask(volume, [det.spacingMm[0] * 2, det.spacingMm[1] * 2, det.spacingMm[2] * 2]);
  const prob = await detectHeatmap(volume, grid, coarse, lung.mask, rt.detector, defaultTiling(rt.detector.provider), () => undefined, () => undefined);
  return { grid, coarse, lung, prob };
}

export async function rawStage1(volume: Volume, rt: Awaited<ReturnType<typeof getRuntime>>) {
  const { grid, coarse, lung, prob } = await detectorPass(volume, rt);
  const gm = { mask: lung.core, dims: coarse.dims, step: coarse.step };
  const plan = planBlobs(volume, gm, { minDiameterMm: minBlobDiameterFor(volume.spacingMm[2]) })!;
  const raw: BlobCandidate[] = [];
  for (const o of plan.octaves) for (const l of blobSlab(volume, gm, o, plan.limits, 0, o.dims[2])) raw.push(...l);
  return { grid, raw, prob };
}
