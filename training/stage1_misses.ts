/**
 * Stage-1 miss diagnosis on inserted series (insert_nodules.py output: <dir>/ DICOM + <dir>.json
 * truth): for every inserted nodule, one JSON line saying whether stage 1 (the app's runStage1 steps:
 * lung mask, blob detector, U-Net peaks, quotas, union) makes a candidate within its radius, and
 * if not why: the raw blob maxima within the radius before merging (best by blobScore, whether it
 * survived mergeBlobs and, if not, which blob absorbed it), the merged blobs' rank within their
 * scale against BLOB_QUOTA, the U-Net candidates within the radius and the heatmap maximum there.
 * UCAP overrides the U-Net candidate cap (200). Per-series totals go to stderr.
 *
 *   node --import tsx training/stage1_misses.ts [--models DIR] training/runs/insert/<name> [...] > misses.jsonl
 * --models: a trial models folder (training/stage_models.py) instead of the shipped one.
 */
import { readFileSync } from 'node:fs';
import { loadSeries, scanDicomInputs } from '../src/core/dicom';
import { shippedModelsDir } from '../src/core/inference/config';
import { getRuntime, releaseRuntimes } from '../src/core/inference/runtime';
import { mergeBlobs, type BlobCandidate } from '../src/core/inference/blobs';
import { blobScore, BLOB_QUOTA, DEFAULT_UNET_THRESHOLD, selectBlobs, unionCandidates } from '../src/core/inference/stage1';
import { findCandidates } from '../src/core/inference/candidates';
import { gridToVolume, volumeToGrid } from '../src/core/inference/grid';
import { rawStage1 } from './stage1_raw';
import { worldToVoxel, type Vec3 } from '../src/common/volume';

async function main() {
  const args = process.argv.slice(2);
  const m = args.indexOf('--models');
  const models = m >= 0 ? args.splice(m, 2)[1] : shippedModelsDir();
  if (!models) throw new Error('--models wants a folder');
  const rt = await getRuntime(models, 'cpu');
  const det = rt.manifest.detector;
  for (const dir of args) {
    const meta = JSON.parse(readFileSync(dir.replace(/\/$/, '') + '.json', 'utf8'));
    const scan = await scanDicomInputs([dir]);
    const series = [...scan.series].sort((a, b) => b.slices - a.slices)[0]!;
    const { volume } = await loadSeries(series);
    const sp = volume.spacingMm;
    const { grid, raw, prob } = await rawStage1(volume, rt);
    const merged = mergeBlobs(raw, sp);
    const selected = selectBlobs(merged, BLOB_QUOTA);
    const unet = findCandidates(prob, grid.dims, { threshold: DEFAULT_UNET_THRESHOLD, spacingMm: det.spacingMm, maxCandidates: Number(process.env.UCAP ?? 200) });
    const unetV = unet.map((c) => ({ ...c, centre: gridToVolume(grid, c.centre) }));
    const cands = unionCandidates(selected, unetV, sp);
    // rank of each merged blob within its scale
    const byScale = new Map<number, BlobCandidate[]>();
    for (const b of merged) (byScale.get(b.scaleMm) ?? byScale.set(b.scaleMm, []).get(b.scaleMm)!).push(b);
    const rank = new Map<BlobCandidate, number>();
    for (const list of byScale.values()) {
      list.sort((a, b) => blobScore(b) - blobScore(a));
      list.forEach((b, i) => rank.set(b, i));
    }
    const mm = (a: Vec3, b: Vec3) => Math.hypot(...a.map((x, i) => (x - b[i]!) * sp[i]!));
    const mergedSet = new Set(merged);
    for (const n of meta.nodules) {
      const v = worldToVoxel(volume, n.worldLps);
      const r = n.diameterMm / 2;
      const near = (c: Vec3) => mm(c, v) <= r;
      const hit = cands.some((c) => near(c.centre));
      const rawNear = raw.filter((b) => near(b.centre)).sort((a, b) => blobScore(b) - blobScore(a));
      const best = rawNear[0];
      // who absorbed the best raw blob, if merged away
      let absorber: unknown = null;
      if (best && !mergedSet.has(best)) {
        const a = merged.find((m) => m.response >= best.response && mm(m.centre, best.centre) < Math.max(m.scaleMm / 2, 2));
        if (a) absorber = { scale: +a.scaleMm.toFixed(1), distToNodule: +mm(a.centre, v).toFixed(1), sph: +a.sphericity.toFixed(2), resp: +a.response.toFixed(0), rank: rank.get(a) };
      }
      const mNear = merged.filter((b) => near(b.centre)).sort((a, b) => rank.get(a)! - rank.get(b)!);
      const uNear = unetV.filter((u) => near(u.centre));
      // heatmap max within radius
      let hmax = 0;
      const g = volumeToGrid(grid, v);
      const rg = det.spacingMm.map((s) => Math.ceil(r / s));
      for (let dz = -rg[2]!; dz <= rg[2]!; dz++)
        for (let dy = -rg[1]!; dy <= rg[1]!; dy++)
          for (let dx = -rg[0]!; dx <= rg[0]!; dx++) {
            const x = Math.round(g[0]) + dx, y = Math.round(g[1]) + dy, z = Math.round(g[2]) + dz;
            if (x < 0 || y < 0 || z < 0 || x >= grid.dims[0] || y >= grid.dims[1] || z >= grid.dims[2]) continue;
            if (Math.hypot(dx * det.spacingMm[0], dy * det.spacingMm[1], dz * det.spacingMm[2]) > r) continue;
            hmax = Math.max(hmax, prob[x + y * grid.dims[0] + z * grid.dims[0] * grid.dims[1]]!);
          }
      console.log(JSON.stringify({
        series: dir.split('/').pop(), id: n.id, d: n.diameterMm, type: n.type, att: n.attachment, hit,
        raw: rawNear.length,
        best: best ? { scale: +best.scaleMm.toFixed(1), resp: +best.response.toFixed(0), sph: +best.sphericity.toFixed(2), hu: +best.smoothedHu.toFixed(0), survived: mergedSet.has(best), rank: rank.get(best) } : null,
        absorber,
        mergedNear: mNear.slice(0, 3).map((b) => ({ scale: +b.scaleMm.toFixed(1), rank: rank.get(b), sph: +b.sphericity.toFixed(2), resp: +b.response.toFixed(0), quota: BLOB_QUOTA(b.scaleMm) })),
        unet: uNear.map((u) => +u.peak.toFixed(3)), hmax: +hmax.toFixed(3),
      }));
    }
    console.error(`${dir}: raw ${raw.length} merged ${merged.length} selected ${selected.length} unet ${unet.length} (lowest ${unet.at(-1)?.peak.toFixed(3)}) cands ${cands.length}`);
  }
  await releaseRuntimes();
}
main().catch((e) => { console.error(e); process.exit(1); });
