/**
 * The U-Net heatmap at every mined candidate, for the score-fusion check (training/fusion_check.py):
 * the app's own detector pass (stage1_raw.ts detectorPass: the app's grid, lung mask and heatmap) with each models
 * folder named, and per candidate of <mined>/<name>.json the heatmap's maximum within RADIUS_MM of
 * its centre (the app's own score-fusion.ts heatNear). One JSON per series: { name, models: { <folder>: number[] } }, candidate n at n.
 *
 *   node --import tsx training/heatmap_at_candidates.ts --mined training/runs/mined --out <dir> \
 *       --models models --models training/runs/models-det-v4 training/runs/insert/<name> [...]
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { loadSeries, scanDicomInputs } from '../src/core/dicom';
import { heatNear } from '../src/core/inference/score-fusion';
import { getRuntime, releaseRuntimes } from '../src/core/inference/runtime';
import type { Vec3 } from '../src/common/volume';
import { detectorPass } from './stage1_raw';

/** A candidate centre may sit a voxel or two off the heatmap's peak on the same object. */
const RADIUS_MM = 2;

function parse(argv: string[]) {
  const models: string[] = [];
  let mined: string | undefined;
  let out: string | undefined;
  const series: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--models') models.push(argv[++i]!);
    else if (a === '--mined') mined = argv[++i];
    else if (a === '--out') out = argv[++i];
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else series.push(a.replace(/\/$/, ''));
  }
  if (!mined || !out || models.length === 0 || series.length === 0)
    throw new Error('usage: heatmap_at_candidates.ts --mined DIR --out DIR --models DIR [--models DIR] <series dir> [...]');
  return { models, mined, out, series };
}

async function main() {
  const a = parse(process.argv.slice(2));
  mkdirSync(a.out, { recursive: true });
  const rts = await Promise.all(a.models.map((m) => getRuntime(m, 'cpu')));
  for (const dir of a.series) {
    const name = basename(dir);
    const target = join(a.out, name + '.json');
    if (existsSync(target)) continue;
    const cands = JSON.parse(readFileSync(join(a.mined, name + '.json'), 'utf8')).candidates as Array<{ voxel: Vec3 }>;
    const scan = await scanDicomInputs([dir]);
    const series = [...scan.series].sort((x, y) => y.slices - x.slices)[0]!;
    const { volume } = await loadSeries(series);
    const out: Record<string, number[]> = {};
    for (let m = 0; m < rts.length; m++) {
      const rt = rts[m]!;
      const sp = rt.manifest.detector.spacingMm as Vec3;
      const { grid, prob } = await detectorPass(volume, rt);
      out[a.models[m]!] = heatNear(prob, grid, sp, cands.map((c) => c.voxel), RADIUS_MM).map(
        (h) => Math.round(h * 1e5) / 1e5,
      );
    }
    writeFileSync(target + '.tmp', JSON.stringify({ name, models: out }));
    renameSync(target + '.tmp', target);
    console.error(`${name}: ${cands.length} candidates`);
  }
  await releaseRuntimes();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
