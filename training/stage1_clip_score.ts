/**
 * Session 18 probe: stage 1 as shipped plus blob candidates from HU clipped at CLIP (quota Q per
 * scale, re-centred, dropped within 3 mm of a shipped candidate), all scored by the shipped
 * characterizer. One JSON line per candidate: series, extra (bool), p, world LPS.
 *   CLIP=-400 Q=100 node --import tsx training/stage1_clip_score.ts training/runs/insert/<name> ...
 */
import { shippedModelsDir } from '../src/core/inference/config';
import { getRuntime, releaseRuntimes } from '../src/core/inference/runtime';
import { blobScore } from '../src/core/inference/stage1';
import { recentreCandidate } from '../src/core/inference/recentre';
import { characterize } from '../src/core/inference/characterize';
import { voxelToWorld, type Vec3 } from '../src/common/volume';
import { clippedBlobs, shippedStage1 } from './clip_blobs';

const CLIP = Number(process.env.CLIP ?? -400);
const Q = Number(process.env.Q ?? 100);

async function main() {
  const rt = await getRuntime(shippedModelsDir(), 'cpu');
  for (const dir of process.argv.slice(2)) {
    const { volume, shipped: std, mm, lung, onLung } = await shippedStage1(dir, rt);
    const extra: Vec3[] = [];
    for (const list of clippedBlobs(volume, lung, CLIP, blobScore)) {
      for (const b of list.slice(0, Q)) {
        const c = recentreCandidate(volume, onLung, b.centre, b.scaleMm);
        if (!std.some((s) => mm(s, c) <= 3) && !extra.some((s) => mm(s, c) <= 3)) extra.push(c);
      }
    }
    const all = [...std, ...extra];
    const ch = await characterize(volume, all, rt, () => undefined, () => undefined);
    const name = dir.replace(/\/$/, '');
    all.forEach((c, i) => console.log(JSON.stringify({ series: name, extra: i >= std.length, p: ch[i]!.pNodule, w: voxelToWorld(volume, c).map((v) => +v.toFixed(2)) })));
    console.error(`${name}: ${std.length} + ${extra.length}`);
  }
  await releaseRuntimes();
}
main().catch((e) => { console.error(e); process.exit(1); });
