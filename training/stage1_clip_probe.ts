/**
 * Session 18 probe: does a second blob pass on HU clipped at a ceiling (so a contrast-filled vessel
 * no longer outshines a nodule beside it) make candidates for the inserted nodules >= 4 mm that
 * stage 1 (as shipped, re-centred) misses? Per miss: gained (1) or not at each CLIPS ceiling and
 * blob quota per scale (25 ... 400, ranked by blobScore or RANK=resp); per series: the candidates
 * it would add (not within 3 mm of a shipped one) at each quota.
 *   CLIPS=-400,-100,50 node --import tsx training/stage1_clip_probe.ts training/runs/insert/<name> ...
 */
import { readFileSync } from 'node:fs';
import { shippedModelsDir } from '../src/core/inference/config';
import { getRuntime, releaseRuntimes } from '../src/core/inference/runtime';
import { blobScore } from '../src/core/inference/stage1';
import { recentreCandidate } from '../src/core/inference/recentre';
import { worldToVoxel, type Vec3 } from '../src/common/volume';
import { clippedBlobs, shippedStage1 } from './clip_blobs';

const CLIPS = (process.env.CLIPS ?? '-400,-100,50').split(',').map(Number);
const QUOTAS = [25, 50, 100, 200, 400];
const RANK = (process.env.RANK ?? 'score') as 'score' | 'resp';
const key = (b: Parameters<typeof blobScore>[0]) => (RANK === 'resp' ? b.response : blobScore(b));

async function main() {
  const rt = await getRuntime(shippedModelsDir(), 'cpu');
  for (const dir of process.argv.slice(2)) {
    const meta = JSON.parse(readFileSync(dir.replace(/\/$/, '') + '.json', 'utf8'));
    const { volume, shipped: std, mm, lung, onLung } = await shippedStage1(dir, rt);
    const nods = meta.nodules.filter((n: { diameterMm: number; outsideLung?: boolean }) => n.diameterMm >= 4);
    const vox = nods.map((n: { worldLps: Vec3 }) => worldToVoxel(volume, n.worldLps));
    const stdHit = nods.map((n: { diameterMm: number }, i: number) => std.some((c) => mm(c, vox[i]) <= n.diameterMm / 2));
    const perClip: Record<string, { added: number[]; gain: number[][] }> = {};
    for (const clip of CLIPS) {
      const ranked: Array<{ c: Vec3; rank: number }> = [];
      for (const list of clippedBlobs(volume, lung, clip, key)) {
        list.slice(0, QUOTAS.at(-1)).forEach((b, rank) => ranked.push({ c: recentreCandidate(volume, onLung, b.centre, b.scaleMm), rank }));
      }
      const added: number[] = [];
      const gain: number[][] = [];
      for (const q of QUOTAS) {
        const extra = ranked.filter((r) => r.rank < q && !std.some((c) => mm(c, r.c) <= 3)).map((r) => r.c);
        added.push(extra.length);
        gain.push(nods.map((n: { diameterMm: number }, i: number) => (!stdHit[i] && extra.some((c) => mm(c, vox[i]) <= n.diameterMm / 2) ? 1 : 0)));
      }
      perClip[clip] = { added, gain };
    }
    const name = dir.replace(/\/$/, '').split('/').pop();
    nods.forEach((n: { id: string; diameterMm: number; type: string; attachment: string }, i: number) => {
      if (stdHit[i]) return;
      console.log(JSON.stringify({ series: name, id: n.id, d: n.diameterMm, type: n.type, att: n.attachment, gain: Object.fromEntries(CLIPS.map((c) => [c, perClip[c]!.gain.map((g) => g[i])])) }));
    });
    console.log(JSON.stringify({ series: name, nodules: nods.length, stdHit: stdHit.filter(Boolean).length, std: std.length, added: Object.fromEntries(CLIPS.map((c) => [c, perClip[c]!.added])) }));
  }
  await releaseRuntimes();
}
main().catch((e) => { console.error(e); process.exit(1); });
