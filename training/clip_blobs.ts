/**
 * Session 18's stage-1 experiment, shared by stage1_clip_probe.ts and stage1_clip_score.ts: stage 1
 * as the app runs it on the largest series of a folder, and the blob detector once more on the HU
 * clipped at a ceiling, its blobs per scale ranked best first.
 */
import { loadSeries, scanDicomInputs } from '../src/core/dicom';
import { detectBlobs, type BlobCandidate } from '../src/core/inference/blobs';
import type { getRuntime } from '../src/core/inference/runtime';
import { minBlobDiameterFor, runStage1 } from '../src/core/inference/stage1';
import { defaultTiling } from '../src/core/inference/detect';
import type { Vec3, Volume } from '../src/common/volume';

export async function shippedStage1(dir: string, rt: Awaited<ReturnType<typeof getRuntime>>) {
  const scan = await scanDicomInputs([dir]);
  const series = [...scan.series].sort((a, b) => b.slices - a.slices)[0]!;
  const { volume } = await loadSeries(series);
  const sp = volume.spacingMm;
  const s1 = await runStage1(volume, rt, { tiling: defaultTiling('cpu'), blobThreads: 2 });
  return {
    volume,
    shipped: s1.candidates.map((c) => c.centre),
    /** Distance between two volume voxels, mm. */
    mm: (a: Vec3, b: Vec3) => Math.hypot(...a.map((x, i) => (x - b[i]!) * sp[i]!)),
    lung: { mask: s1.lung.core, dims: s1.coarse.dims, step: s1.coarse.step },
    onLung: { core: s1.lung.core, grid: s1.coarse },
  };
}

/** Merged blob maxima of the volume with every HU above `ceilingHu` set to it, per scale, best `key` first. */
export function clippedBlobs(
  volume: Volume,
  lung: { mask: Uint8Array; dims: Vec3; step: Vec3 },
  ceilingHu: number,
  key: (b: BlobCandidate) => number,
): BlobCandidate[][] {
  const hu = new Int16Array(volume.hu.length);
  for (let i = 0; i < hu.length; i++) hu[i] = Math.min(volume.hu[i]!, ceilingHu);
  const blobs = detectBlobs({ ...volume, hu }, lung, { minDiameterMm: minBlobDiameterFor(volume.spacingMm[2]) });
  const byScale = new Map<number, BlobCandidate[]>();
  for (const b of blobs) (byScale.get(b.scaleMm) ?? byScale.set(b.scaleMm, []).get(b.scaleMm)!).push(b);
  return [...byScale.values()].map((list) => list.sort((a, b) => key(b) - key(a)));
}
