/**
 * Dumps what stage 1 sees on inserted series, for offline experiments with blob selection and the
 * union (training/stage1_sim.py): every raw blob maximum (before mergeBlobs), every U-Net candidate
 * (volume voxels) and the inserted nodules' centres in volume voxels, one JSON per series.
 *
 *   node --import tsx training/stage1_dump.ts <out dir> training/runs/insert/<name> [...]
 * MODELS=<dir> scores another models folder (training/stage_models.py) instead of models/; UTHR
 * (default 0.05) is the lowest U-Net peak dumped.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSeries, scanDicomInputs } from '../src/core/dicom';
import { shippedModelsDir } from '../src/core/inference/config';
import { getRuntime, releaseRuntimes } from '../src/core/inference/runtime';
import { findCandidates } from '../src/core/inference/candidates';
import { gridToVolume } from '../src/core/inference/grid';
import { DEFAULT_UNET_THRESHOLD } from '../src/core/inference/stage1';
import { rawStage1 } from './stage1_raw';
import { worldToVoxel } from '../src/common/volume';

async function main() {
  const [out, ...dirs] = process.argv.slice(2);
  mkdirSync(out!, { recursive: true });
  const rt = await getRuntime(process.env.MODELS ?? shippedModelsDir(), 'cpu');
  const det = rt.manifest.detector;
  for (const dir of dirs) {
    const name = dir.replace(/\/$/, '').split('/').pop()!;
    const metaPath = dir.replace(/\/$/, '') + '.json';
    let nodules: Array<{ id: string; d: number; type: string; att: string; v: number[] }> = [];
    const scan = await scanDicomInputs([dir]);
    const series = [...scan.series].sort((a, b) => b.slices - a.slices)[0]!;
    const { volume } = await loadSeries(series);
    try {
      const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
      let sites: Record<string, boolean> = {};
      try {
        sites = JSON.parse(readFileSync(dir.replace(/\/$/, '') + '.sites.json', 'utf8'));
      } catch {}
      nodules = meta.nodules
        .filter((n: { id: string }) => sites[n.id] !== false)
        .map((n: { id: string; diameterMm: number; type: string; attachment: string; worldLps: [number, number, number] }) => ({
          id: n.id, d: n.diameterMm, type: n.type, att: n.attachment, v: worldToVoxel(volume, n.worldLps),
        }));
    } catch {}
    const sp = volume.spacingMm;
    const { grid, raw, prob } = await rawStage1(volume, rt);
    const unet = findCandidates(prob, grid.dims, { threshold: Number(process.env.UTHR ?? 0.05), spacingMm: det.spacingMm, maxCandidates: 1000 });
    const r = (x: number) => Math.round(x * 1000) / 1000;
    writeFileSync(join(out!, name + '.json'), JSON.stringify({
      name, spacing: sp, nodules, unetThreshold: DEFAULT_UNET_THRESHOLD,
      blobs: raw.map((b) => [...b.centre.map(r), r(b.scaleMm), r(b.response), r(b.sphericity), r(b.smoothedHu)]),
      unet: unet.map((u) => [...gridToVolume(grid, u.centre).map(r), r(u.peak), r(u.extentMm)]),
    }));
    console.error(`${name}: raw ${raw.length} unet ${unet.length} nodules ${nodules.length}`);
  }
  await releaseRuntimes();
}
main().catch((e) => { console.error(e); process.exit(1); });
