/**
 * The evidence behind segment.ts's halo rule (haloBeyond): for every inserted ground-glass nodule
 * (every margin and site, diameter >= --min mm, centre in the aerated lung: site_check.py's
 * <series>.sites.json where it exists, and the app's own lung mask) the half-way and halo outlines
 * at its true centre (groundGlassOutlines, stage-1 scale = its true diameter), and the same for
 * LIDC-IDRI-0002's ground-glass nodule (LUNA16's excluded mark, contoured by two readers) at
 * stage-1 scales of 6, 10 and 20 mm. Inserted nodules are uniformly dense: their halo outline should
 * not be chosen; the real nodule's haze fades out over millimetres and its readers outline all of it.
 *
 *   node --import tsx training/halo_check.ts [--insert training/runs/insert,training/runs/insert-faint] \
 *     [--min 3] [--out training/runs/halo-check.json]
 *
 * Reports, by equivalent diameter of the half-way outline (< HALO_MIN_MM not looked at by the
 * app), the largest median surface growth of the inserted nodules and the real nodule's, and how
 * many of each the rule (growth >= HALO_GROWTH_MM) would outline at the halo level.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { measureRegion, type MaskRegion } from '../src/core/findings/measurements';
import { groundGlassOutlines, HALO_GROWTH_MM, HALO_MIN_MM } from '../src/core/inference/segment';
import { worldToVoxel, type Vec3, type Volume } from '../src/common/volume';
import { cachedLidcSeries, flagValue, folderList, insertedSeries, nodulesInLung, openSeries } from './inserted-series';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => flagValue(args, name, dflt);
const root = resolve('.');
const insertDirs = folderList(arg('insert', 'training/runs/insert,training/runs/insert-faint'));
const minMm = Number(arg('min', '3'));
const out = resolve(arg('out', 'training/runs/halo-check.json'));

/** LUNA16's excluded mark on LIDC-IDRI-0002's ground-glass nodule (LPS mm). */
const GGN_0002: Vec3 = [59.40267185, 70.18377372, -104.3877531];

interface Row {
  source: string;
  id: string;
  diameterMm: number | null;
  margin: string | null;
  attachment: string | null;
  extentMm: number;
  halfEqMm: number;
  halfAxesMm: [number, number];
  haloEqMm: number | null;
  haloAxesMm: [number, number] | null;
  growthMm: number | null;
  haloChosen: boolean;
}

const eqMm = (v: number) => Math.round(Math.cbrt((6 * v) / Math.PI) * 100) / 100;
const r2 = (v: number) => Math.round(v * 100) / 100;

function row(volume: Volume, at: Vec3, extentMm: number, inLung: (i: number, j: number, k: number) => boolean) {
  const { half, halo } = groundGlassOutlines(volume, {
    centre: worldToVoxel(volume, at),
    type: 'ground-glass',
    extentMm,
    inLung,
  });
  const m = (r: MaskRegion) => measureRegion(r, volume);
  const h = m(half);
  const o = halo ? m(halo.region) : null;
  return {
    extentMm,
    halfEqMm: eqMm(h.volumeMm3),
    halfAxesMm: [r2(h.longAxisMm), r2(h.shortAxisMm)] as [number, number],
    haloEqMm: o ? eqMm(o.volumeMm3) : null,
    haloAxesMm: o ? ([r2(o.longAxisMm), r2(o.shortAxisMm)] as [number, number]) : null,
    growthMm: halo ? r2(halo.growthMm) : null,
    haloChosen: halo !== null && halo.growthMm >= HALO_GROWTH_MM,
  };
}

const rows: Row[] = [];
for await (const { series, nodule: n, volume, inLung } of nodulesInLung(
  insertDirs.flatMap(insertedSeries),
  (n) => n.type === 'ground-glass' && n.diameterMm >= minMm,
)) {
  rows.push({
    source: series.name,
    id: n.id,
    diameterMm: n.diameterMm,
    margin: n.margin,
    attachment: n.attachment,
    ...row(volume, n.worldLps, n.diameterMm, inLung),
  });
}

const real: Row[] = [];
const dir0002 = cachedLidcSeries(root, '0002');
if (dir0002 === null) {
  console.warn('[skip] LIDC-IDRI-0002: not extracted under .cache/LIDC-IDRI-0002');
} else {
  const { volume, inLung } = await openSeries(dir0002);
  for (const extentMm of [6, 10, 20])
    real.push({
      source: 'LIDC-IDRI-0002',
      id: 'ground-glass nodule (LUNA16 excluded mark)',
      diameterMm: null,
      margin: null,
      attachment: null,
      ...row(volume, GGN_0002, extentMm, inLung),
    });
}

const looked = rows.filter((r) => r.growthMm !== null);
const report = {
  rule: { haloMinMm: HALO_MIN_MM, haloGrowthMm: HALO_GROWTH_MM },
  insertDirs,
  inserted: {
    n: rows.length,
    lookedAt: looked.length,
    maxGrowthMm: looked.length > 0 ? Math.max(...looked.map((r) => r.growthMm!)) : null,
    haloChosen: looked.filter((r) => r.haloChosen).map((r) => `${r.source} ${r.id}`),
  },
  real,
  rows,
};
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify({ rule: report.rule, inserted: report.inserted, real }, null, 2));
