/**
 * What the training-side checks (size_check.ts, density_check.ts, halo_check.ts, coverage_check.ts)
 * read alike: insert_nodules.py's series with their truth, the nodules inside the aerated lung, a
 * series opened with the app's lung mask, and the real scans extracted under .cache.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadSeries, scanDicomInputs } from '../src/core/dicom';
import { coarseLungMask, inLungCore } from '../src/core/inference/lung-mask';
import { worldToVoxel, type Vec3, type Volume } from '../src/common/volume';

/** One nodule of insert_nodules.py's <series>.json truth (the fields the checks read). */
export interface InsertedNodule {
  id: string;
  worldLps: Vec3;
  diameterMm: number;
  type: 'solid' | 'part-solid' | 'ground-glass';
  margin: string;
  attachment: 'free' | 'juxtapleural' | 'juxtavascular';
}

export interface InsertedSeries {
  /** e.g. LIDC-IDRI-0001-s41 */
  name: string;
  /** The folder of its DICOM files. */
  dir: string;
  nodules: InsertedNodule[];
  /** site_check.py's verdict (<series>.sites.json) where it exists; true where it does not. */
  inAeratedLung: (id: string) => boolean;
}

/** The inserted series under `insertDir`, in name order. */
export function insertedSeries(insertDir: string): InsertedSeries[] {
  return readdirSync(insertDir)
    .filter((f) => /^LIDC-IDRI-\d+-s\d+\.json$/.test(f))
    .sort()
    .map((f) => {
      const name = f.replace(/\.json$/, '');
      const doc = JSON.parse(readFileSync(join(insertDir, f), 'utf8')) as { nodules: InsertedNodule[] };
      const sitesPath = join(insertDir, `${name}.sites.json`);
      const sites = existsSync(sitesPath)
        ? (JSON.parse(readFileSync(sitesPath, 'utf8')) as Record<string, boolean>)
        : null;
      return { name, dir: join(insertDir, name), nodules: doc.nodules, inAeratedLung: (id) => sites?.[id] ?? true };
    });
}

/** A series' first volume and the app's lung test (lung-mask.ts inLungCore on its coarse mask). */
export async function openSeries(
  dir: string,
): Promise<{ volume: Volume; inLung: (i: number, j: number, k: number) => boolean }> {
  const scan = await scanDicomInputs([dir]);
  const { volume } = await loadSeries(scan.series[0]!);
  const { coarse, lung } = coarseLungMask(volume, [2, 2, 2]);
  return { volume, inLung: inLungCore(coarse, lung) };
}

/** The folder under <root>/.cache/LIDC-IDRI-<id> that holds its .dcm files, or null. */
export function cachedLidcSeries(root: string, id: string): string | null {
  let d = join(root, '.cache', `LIDC-IDRI-${id}`);
  if (!existsSync(d)) return null;
  for (let depth = 0; depth < 6; depth++) {
    const names = readdirSync(d, { withFileTypes: true });
    if (names.some((n) => n.name.endsWith('.dcm'))) return d;
    const sub = names.find((n) => n.isDirectory());
    if (!sub) break;
    d = join(d, sub.name);
  }
  return null;
}

/**
 * Every inserted nodule of `series` that `pick` keeps, inside the aerated lung (site_check.py) and
 * the app's lung mask, with its series opened once (a series whose nodules are all left out is not
 * opened) and its centre in volume voxels; a progress line per series on stderr.
 */
export async function* nodulesInLung(
  series: InsertedSeries[],
  pick: (n: InsertedNodule) => boolean,
): AsyncGenerator<{
  series: InsertedSeries;
  nodule: InsertedNodule;
  volume: Volume;
  inLung: (i: number, j: number, k: number) => boolean;
  centre: Vec3;
}> {
  let count = 0;
  for (const s of series) {
    const picked = s.nodules.filter((n) => pick(n) && s.inAeratedLung(n.id));
    if (picked.length === 0) continue;
    const { volume, inLung } = await openSeries(s.dir);
    for (const nodule of picked) {
      const centre = worldToVoxel(volume, nodule.worldLps);
      const [i, j, k] = centre.map(Math.round) as Vec3;
      if (!inLung(i, j, k)) continue;
      count += 1;
      yield { series: s, nodule, volume, inLung, centre };
    }
    process.stderr.write(`${s.name}: ${count} nodules so far\n`);
  }
}

/** The value after `--name` among a check's arguments, or dflt. */
export function flagValue(args: string[], name: string, dflt: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
}

/** Folders named comma-separated (e.g. --insert), resolved against the working directory. */
export function folderList(spec: string): string[] {
  return spec
    .split(',')
    .filter((d) => d.length > 0)
    .map((d) => resolve(d));
}

/** Seeds named as comma-separated numbers and ranges (e.g. --choose 1-12,201-206). */
export function seedSet(spec: string): Set<number> {
  return new Set(
    spec.split(',').flatMap((r) => {
      const [a, b] = r.split('-').map(Number);
      return Array.from({ length: (b ?? a!) - a! + 1 }, (_, n) => a! + n);
    }),
  );
}

/** The insertion folders and choosing seeds the rule checks (density, solid part) read by default. */
export const CHECK_INSERT_DIRS = 'training/runs/insert,training/runs/insert-faint';
export const CHOOSING_SEEDS = '1-12,201-206';

/** A rule check's options: --insert folders, --out file (under training/runs), --choose seeds. */
export function checkOptions(
  argv: string[],
  outName: string,
): { arg: (name: string, dflt: string) => string; insertDirs: string[]; out: string; chooseSeeds: Set<number> } {
  const arg = (name: string, dflt: string): string => flagValue(argv, name, dflt);
  return {
    arg,
    insertDirs: folderList(arg('insert', CHECK_INSERT_DIRS)),
    out: resolve(arg('out', `training/runs/${outName}`)),
    chooseSeeds: seedSet(arg('choose', CHOOSING_SEEDS)),
  };
}

/** What a check's row says of the nodule it is about. */
export interface NoduleRow {
  series: string;
  /** The insertion seed (the -s<seed> of the series name). */
  seed: number;
  id: string;
  margin: string;
  attachment: InsertedNodule['attachment'];
  diameterMm: number;
}

export function noduleRow(series: InsertedSeries, n: InsertedNodule): NoduleRow {
  return {
    series: series.name,
    seed: Number(/-s(\d+)$/.exec(series.name)![1]),
    id: n.id,
    margin: n.margin,
    attachment: n.attachment,
    diameterMm: n.diameterMm,
  };
}

/**
 * Writes a rule check's report (its options, `summary` of the rows on the choosing seeds and on
 * the others, every row) to `out`, and prints the two summaries.
 */
export function writeCheckReport<R extends NoduleRow, S>(
  options: { out: string; insertDirs: string[]; chooseSeeds: Set<number>; extra?: Record<string, unknown> },
  rows: R[],
  summary: (rows: R[]) => S,
): void {
  const { out, insertDirs, chooseSeeds, extra } = options;
  const report = {
    insertDirs,
    ...extra,
    chooseSeeds: [...chooseSeeds],
    choosing: summary(rows.filter((r) => chooseSeeds.has(r.seed))),
    others: summary(rows.filter((r) => !chooseSeeds.has(r.seed))),
    rows,
  };
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify({ choosing: report.choosing, others: report.others }, null, 2));
}
