/**
 * Session 45: which U-Net's heatmap should the viewer overlay? The overlay is the v1 detector's
 * (stage 1's); since session 44 the app also computes det-v4's (the fusion detector) and scores every
 * finding with it. On the real scans and their real copies (nothing inserted), per models folder:
 * the hot spots a reader would see, the heatmap's local maxima (the app's findCandidates: one per
 * object, 1 mm apart at least) at or above each level, away from every LUNA16 mark (nodule or
 * excluded; 15 mm where no size is given, as app_summary.py counts), and the heatmap's maximum
 * within LIDC-IDRI-0001's LUNA16 nodule. Writes training/overlay-check.json (kept in git: runs/ goes with its machine).
 *
 *   node --import tsx training/overlay_check.ts --models models --models training/runs/models-det-v4
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { voxelToWorld, type Vec3 } from '../src/common/volume';
import { loadSeries, scanDicomInputs } from '../src/core/dicom';
import { findCandidates } from '../src/core/inference/candidates';
import { gridToVolume } from '../src/core/inference/grid';
import { getRuntime, releaseRuntimes } from '../src/core/inference/runtime';
import { cachedLidcSeries } from './inserted-series';
import { lunaMarks } from './luna-marks';
import { detectorPass } from './stage1_raw';

const root = join(new URL('.', import.meta.url).pathname, '..');
const shared = join(root, '..', 'shared', 'data', 'ct');
const runs = join(root, 'training', 'runs');
const LEVELS = [0.2, 0.3, 0.5, 0.8];

/** The real scans and the real copies app_check.sh analyses (as acquired, sharp, 5 mm, low dose). */
function seriesList(): { name: string; dir: string; uid: string | null }[] {
  const out: { name: string; dir: string; uid: string | null }[] = [];
  for (const id of ['0001', '0002']) {
    const dir = cachedLidcSeries(root, id);
    if (dir === null) throw new Error(`no DICOM files under .cache/LIDC-IDRI-${id} (extract ct/LIDC-IDRI-${id}.tar.xz there)`);
    out.push({ name: `LIDC-IDRI-${id}`, dir, uid: null });
  }
  for (const rel of ['sharp/LIDC-IDRI-0001-k15', 'sharp/LIDC-IDRI-0001-k3', 'thick/LIDC-IDRI-0001-t2',
    'lowdose/LIDC-IDRI-0001-n2', 'lowdose/LIDC-IDRI-0001-n3', 'lowdose/LIDC-IDRI-0002-n2', 'lowdose/LIDC-IDRI-0002-n3']) {
    const dir = join(runs, rel);
    if (!existsSync(dir)) continue;
    const side = JSON.parse(readFileSync(dir + '.json', 'utf8')) as { sourceSeriesInstanceUid: string };
    out.push({ name: rel.split('/')[1]!, dir, uid: side.sourceSeriesInstanceUid });
  }
  return out;
}

const dist = (a: Vec3, b: Vec3) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

async function main() {
  const argv = process.argv.slice(2);
  const models = argv.flatMap((a, n) => (argv[n - 1] === '--models' ? [a] : []));
  if (!models.length) throw new Error('name at least one --models folder');
  const rts = await Promise.all(models.map((m) => getRuntime(m, 'cpu')));
  const report: Record<string, Record<string, unknown>> = {};
  for (const s of seriesList()) {
    const scan = await scanDicomInputs([s.dir]);
    const series = [...scan.series].sort((x, y) => y.slices - x.slices)[0]!;
    const { volume } = await loadSeries(series);
    const m = lunaMarks(shared, s.uid ?? series.metadata.seriesInstanceUid);
    report[s.name] = {};
    for (let k = 0; k < rts.length; k++) {
      const rt = rts[k]!;
      const sp = rt.manifest.detector.spacingMm as Vec3;
      const { grid, prob } = await detectorPass(volume, rt);
      const peaks = findCandidates(prob, grid.dims, { threshold: LEVELS[0]!, spacingMm: sp, maxCandidates: 100000 }).map(
        (c) => ({ p: c.peak, at: voxelToWorld(volume, gridToVolume(grid, c.centre)) }),
      );
      const away = peaks.filter((q) => !m.some((x) => dist(q.at, x.at) <= x.r));
      const nodule = m.filter((x) => x.nodule);
      report[s.name]![models[k]!] = {
        hotSpotsAwayFromMarks: Object.fromEntries(LEVELS.map((l) => [`>= ${l}`, away.filter((q) => q.p >= l).length])),
        strongestAway: away.slice(0, 3).map((q) => ({ p: Math.round(q.p * 1000) / 1000, at: q.at.map((v) => Math.round(v * 10) / 10) })),
        lunaNodulePeak: nodule.map((x) =>
          Math.round(Math.max(0, ...peaks.filter((q) => dist(q.at, x.at) <= x.r).map((q) => q.p)) * 1000) / 1000,
        ),
      };
      console.error(`${s.name} ${models[k]}: ${JSON.stringify(report[s.name]![models[k]!])}`);
    }
  }
  writeFileSync(join(root, 'training', 'overlay-check.json'), JSON.stringify(report, null, 1));
  await releaseRuntimes();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
