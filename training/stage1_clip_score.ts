/**
 * Session 18 probe: stage 1 as shipped plus blob candidates from HU clipped at CLIP (quota Q per
 * scale, re-centred, dropped within 3 mm of a shipped candidate), all scored by the shipped
 * characterizer. One JSON line per candidate: series, extra (bool), p, world LPS.
 *   CLIP=-400 Q=100 node --import tsx training/stage1_clip_score.ts training/runs/insert/<name> ...
 */
import { loadSeries, scanDicomInputs } from '../src/core/dicom';
import { shippedModelsDir } from '../src/core/inference/config';
import { getRuntime, releaseRuntimes } from '../src/core/inference/runtime';
import { detectBlobs } from '../src/core/inference/blobs';
import { blobScore, minBlobDiameterFor, runStage1 } from '../src/core/inference/stage1';
import { recentreCandidate } from '../src/core/inference/recentre';
import { characterize } from '../src/core/inference/characterize';
import { voxelToWorld, type Vec3 } from '../src/common/volume';

const CLIP = Number(process.env.CLIP ?? -400);
const Q = Number(process.env.Q ?? 100);

async function main() {
  const rt = await getRuntime(shippedModelsDir(), 'cpu');
  for (const dir of process.argv.slice(2)) {
    const scan = await scanDicomInputs([dir]);
    const series = [...scan.series].sort((a, b) => b.slices - a.slices)[0]!;
    const { volume } = await loadSeries(series);
    const sp = volume.spacingMm;
    const s1 = await runStage1(volume, rt, { overlap: 0.25, blobThreads: 2 });
    const std = s1.candidates.map((c) => c.centre);
    const mm = (a: Vec3, b: Vec3) => Math.hypot(...a.map((x, i) => (x - b[i]!) * sp[i]!));
    const gm = { mask: s1.lung.core, dims: s1.coarse.dims, step: s1.coarse.step };
    const onLung = { core: s1.lung.core, grid: s1.coarse };
    const hu = new Int16Array(volume.hu.length);
    for (let i = 0; i < hu.length; i++) hu[i] = Math.min(volume.hu[i]!, CLIP);
    const blobs = detectBlobs({ ...volume, hu }, gm, { minDiameterMm: minBlobDiameterFor(sp[2]) });
    const byScale = new Map<number, typeof blobs>();
    for (const b of blobs) (byScale.get(b.scaleMm) ?? byScale.set(b.scaleMm, []).get(b.scaleMm)!).push(b);
    const extra: Vec3[] = [];
    for (const list of byScale.values()) {
      list.sort((a, b) => blobScore(b) - blobScore(a));
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
