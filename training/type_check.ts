/**
 * The app's nodule types and part-solid sizes on inserted nodules: `analyzeSeries` (the shipped
 * models, the manifest's threshold) on insert_nodules.py series, each finding matched to the
 * inserted nodule whose radius (at least 3 mm) holds its centre (nodules outside the aerated lung,
 * site_check.py, left out). Reports the type confusion (inserted type x the app's type), and for
 * inserted part-solid nodules the app's mean diameter and solid part against the inserted
 * diameter and core; for every matched finding the listed diameter against the inserted one (mean
 * absolute error by inserted type; every row kept). Session 32 chose nodule-outline.ts's density
 * rule and solid component on seeds 1-12 and read seeds 41-48 after.
 *
 *   node --import tsx training/type_check.ts [--out training/runs/type-check.json] \
 *     [--insert training/runs/insert] [--models DIR] LIDC-IDRI-0001-s41 ...
 * --models: another models folder (e.g. type_head.py export's), default models/.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { NoduleType } from '../src/common/findings/findings-document';
import { loadSeries, scanDicomInputs } from '../src/core/dicom';
import { analyzeSeries, inferenceConfig, shutdownInference } from '../src/core/inference';

const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const out = resolve(outAt >= 0 ? args[outAt + 1]! : 'training/runs/type-check.json');
const insertAt = args.indexOf('--insert');
const insertDir = resolve(insertAt >= 0 ? args[insertAt + 1]! : 'training/runs/insert');
const modelsAt = args.indexOf('--models');
const modelsDir = resolve(modelsAt >= 0 ? args[modelsAt + 1]! : 'models');
// Every argument but the flags and their values is a series name.
const flagValues = [outAt, insertAt, modelsAt].filter((i) => i >= 0).map((i) => i + 1);
const names = args.filter((a, i) => !['--out', '--insert', '--models'].includes(a) && !flagValues.includes(i));
const config = inferenceConfig({ modelsDir, provider: 'cpu' });

interface Inserted {
  id: string;
  worldLps: [number, number, number];
  diameterMm: number;
  type: NoduleType;
  coreMm: number | null;
  attachment: string;
}
const TYPES: NoduleType[] = ['solid', 'part-solid', 'ground-glass'];
const confusion = Object.fromEntries(TYPES.map((t) => [t, Object.fromEntries(TYPES.map((u) => [u, 0]))]));
const partSolid: Array<Record<string, unknown>> = [];
/** Every matched finding: the inserted nodule against the listed type and diameter. */
const matchedRows: Array<Record<string, unknown>> = [];
for (const name of names) {
  const dir = join(insertDir, name);
  const truth = (JSON.parse(readFileSync(`${dir}.json`, 'utf8')) as { nodules: Inserted[] }).nodules;
  const sites = existsSync(`${dir}.sites.json`)
    ? (JSON.parse(readFileSync(`${dir}.sites.json`, 'utf8')) as Record<string, boolean>)
    : {};
  const scan = await scanDicomInputs([dir]);
  const { document } = await analyzeSeries(await loadSeries(scan.series[0]!), config);
  for (const f of document.findings) {
    const hit = truth
      .filter((n) => sites[n.id] !== false)
      .map((n) => ({ n, d: Math.hypot(...f.centerLps.map((x, a) => x - n.worldLps[a]!)) }))
      .filter(({ n, d }) => d <= Math.max(n.diameterMm / 2, 3))
      .sort((a, b) => a.d - b.d)[0];
    if (!hit) continue;
    confusion[hit.n.type]![f.type]! += 1;
    matchedRows.push({
      id: hit.n.id,
      insertedType: hit.n.type,
      insertedMm: hit.n.diameterMm,
      attachment: hit.n.attachment,
      type: f.type,
      diameterMm: f.diameterMm,
    });
    if (hit.n.type === 'part-solid')
      partSolid.push({
        series: name,
        id: hit.n.id,
        insertedMm: hit.n.diameterMm,
        insertedCoreMm: hit.n.coreMm,
        type: f.type,
        diameterMm: f.diameterMm,
        solidComponentMm: f.solidComponentMm ?? null,
      });
  }
  process.stderr.write(`${name}: ${document.findings.length} findings\n`);
}
await shutdownInference();
const round2 = (v: number) => Math.round(v * 100) / 100;
const mean = (v: number[]) => (v.length ? Math.round((v.reduce((s, x) => s + x, 0) / v.length) * 100) / 100 : null);
const matched = TYPES.reduce((s, t) => s + TYPES.reduce((u, v) => u + confusion[t]![v]!, 0), 0);
const right = TYPES.reduce((s, t) => s + confusion[t]![t]!, 0);
const typedPartSolid = partSolid.filter((r) => r.type === 'part-solid' && r.insertedCoreMm !== null);
const diameterMae = Object.fromEntries(
  TYPES.map((t) => {
    const rs = matchedRows.filter((r) => r.insertedType === t);
    return [t, mean(rs.map((r) => Math.abs((r.diameterMm as number) - (r.insertedMm as number))))];
  }),
);
const report = {
  series: names,
  insertDir,
  matchedFindings: matched,
  typeAccuracy: matched ? Math.round((right / matched) * 1000) / 1000 : null,
  confusion,
  /** Mean absolute error (mm) of the listed diameter against the inserted one, by inserted type. */
  diameterMaeMm: diameterMae,
  rows: matchedRows,
  partSolid: {
    found: partSolid.length,
    diameterMaeMm: mean(partSolid.map((r) => Math.abs((r.diameterMm as number) - (r.insertedMm as number)))),
    solidComponentMaeMm: mean(
      typedPartSolid.map((r) => Math.abs((r.solidComponentMm as number) - (r.insertedCoreMm as number))),
    ),
    solidComponentMaxErrorMm: typedPartSolid.length
      ? round2(Math.max(...typedPartSolid.map((r) => Math.abs((r.solidComponentMm as number) - (r.insertedCoreMm as number)))),
        )
      : null,
    rows: partSolid,
  },
};
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify({ ...report, rows: undefined, partSolid: { ...report.partSolid, rows: undefined } }, null, 2));
process.exit(0);
