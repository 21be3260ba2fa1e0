/**
 * The shipped models through the app's own analysis on the real scans stored otherwise than the
 * training and validation data saw them (session 29): covering only part of the lungs (the lower
 * 55%, the upper 55%, the middle 40% of the slices) and with one to five end slices left off (the
 * U-Net's tiles and every candidate's position move a little). Per copy: findings at the manifest's
 * operating threshold away from every LUNA16 mark (nodule or excluded; 15 mm where no size is
 * given, as app_summary.py counts), and the LUNA16 nodule's probability. Writes
 * training/runs/app/coverage.json.
 *
 *   node --import tsx training/coverage_check.ts [<out.json>] [--models DIR]
 *
 * --models: another models folder (a candidate ensemble with its own manifest and threshold).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Vec3 } from '../src/common/volume';
import { loadSeries, scanDicomInputs } from '../src/core/dicom';
import { analyzeSeries, inferenceConfig, shutdownInference } from '../src/core/inference';
import { cachedLidcSeries } from './inserted-series';
import { lunaMarks } from './luna-marks';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const shared = join(root, '..', 'shared', 'data', 'ct');
const argv = process.argv.slice(2);
const modelsAt = argv.indexOf('--models');
const modelsDir = modelsAt >= 0 ? argv[modelsAt + 1]! : join(root, 'models');
const out =
  argv.find((a, n) => !a.startsWith('--') && n !== modelsAt + 1) ??
  join(root, 'training', 'runs', 'app', 'coverage.json');

/** The folder under .cache/LIDC-IDRI-<id> that holds its .dcm files. */
function seriesDir(id: string): string {
  const dir = cachedLidcSeries(root, id);
  if (dir === null)
    throw new Error(`no DICOM files under .cache/LIDC-IDRI-${id} (extract ct/LIDC-IDRI-${id}.tar.xz there)`);
  return dir;
}

const COPIES: [string, (k: number, n: number) => boolean][] = [
  ['whole', () => true],
  ['lower 55%', (k, n) => k < 0.55 * n],
  ['upper 55%', (k, n) => k >= 0.45 * n],
  ['middle 40%', (k, n) => k >= 0.3 * n && k < 0.7 * n],
  ['without 2 lowest', (k) => k >= 2],
  ['without 5 lowest', (k) => k >= 5],
  ['without 3 highest', (k, n) => k < n - 3],
  ['without both end slices', (k, n) => k >= 1 && k < n - 1],
];

const config = inferenceConfig({ modelsDir, provider: 'cpu' });
const rows: Record<string, unknown>[] = [];
for (const id of ['0001', '0002']) {
  const whole = await scanDicomInputs([seriesDir(id)]);
  const uid = whole.series[0]!.metadata.seriesInstanceUid;
  const known = lunaMarks(shared, uid);
  const frames = [...whole.series[0]!.frames].sort((a, b) => a.slot - b.slot);
  for (const [copy, keep] of COPIES) {
    const scan = await scanDicomInputs(frames.filter((_, k) => keep(k, frames.length)).map((f) => f.path));
    const loaded = await loadSeries(scan.series[0]!);
    const { document } = await analyzeSeries(loaded, config);
    const near = (c: number[]) =>
      known.filter((m) => Math.hypot(...c.map((x, a) => x - m.at[a]!)) <= m.r);
    const away = document.findings.filter((f) => near(f.centerLps).length === 0);
    const nodule = [...document.findings, ...document.candidates!].filter((c) =>
      near(c.centerLps).some((m) => m.nodule),
    );
    const row = {
      scan: `LIDC-IDRI-${id}`,
      copy,
      slices: loaded.volume.dims[2],
      findings: document.findings.length,
      falsePositives: away.length,
      falsePositiveProbabilities: away.map((f) => f.probability),
      lunaNoduleProbability: nodule.length ? Math.max(...nodule.map((c) => c.probability)) : null,
      // Below the threshold too: how close the copy comes to listing more (thresholds differ by model).
      topAwayProbabilities: [...document.findings, ...document.candidates!]
        .filter((c) => near(c.centerLps).length === 0)
        .map((c) => c.probability)
        .sort((a, b) => b - a)
        .slice(0, 5),
      candidates: document.findings.length + document.candidates!.length,
      warnings: document.warnings!.filter((w) => !/^patient (age|sex)/.test(w)),
    };
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}
await shutdownInference();
const manifest = JSON.parse(readFileSync(join(modelsDir, 'manifest.json'), 'utf8'));
const partial = rows.filter((r) => /%/.test(String(r.copy)));
const shifted = rows.filter((r) => /^without/.test(String(r.copy)));
const sum = (rs: Record<string, unknown>[]) => rs.reduce((s, r) => s + Number(r.falsePositives), 0);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  JSON.stringify(
    {
      date: new Date().toISOString(),
      command: 'node --import tsx training/coverage_check.ts',
      models: modelsDir,
      operatingThreshold: manifest.operatingPoint?.threshold ?? null,
      falsePositivesPerScan: {
        partialCopies: sum(partial) / partial.length,
        shiftedCopies: sum(shifted) / shifted.length,
      },
      rows,
    },
    null,
    2,
  ) + '\n',
);
console.log(`wrote ${out}`);
