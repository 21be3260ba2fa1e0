/**
 * The evidence behind nodule-outline.ts's solid component: for every inserted part-solid nodule
 * (every margin and site, centre in the aerated lung: site_check.py's <series>.sites.json where it
 * exists, and the app's own lung mask), outlined at its true centre with its true type and
 * diameter as the stage-1 scale, the solid part's mean diameter as the largest connected part of
 * the outline at or above SOLID_HU (largestSolidPart) and as the app measures it now
 * (solidComponent: from SOLID_OWN_OUTLINE_MIN_MM up, that part's own outline), against the
 * inserted core's diameter.
 *
 *   node --import tsx training/solid_part_check.ts [--insert training/runs/insert,training/runs/insert-faint] \
 *     [--choose 1-12,201-206] [--out training/runs/solid-part-check.json]
 *
 * Reports for the choosing seeds (--choose) and the rest, overall and by attachment: the mean
 * absolute and signed error of both, and how many solid parts fall in the inserted core's
 * Lung-RADS band (part-solid: solid part < 6, 6-8, >= 8 mm).
 */
import { measureRegion } from '../src/core/findings/measurements';
import { largestSolidPart, solidComponent } from '../src/core/inference/nodule-outline';
import { segmentCandidate } from '../src/core/inference/segment';
import {
  checkOptions,
  insertedSeries,
  nodulesInLung,
  noduleRow,
  writeCheckReport,
  type NoduleRow,
} from './inserted-series';

const { insertDirs, out, chooseSeeds } = checkOptions(process.argv.slice(2), 'solid-part-check.json');

interface Row extends NoduleRow {
  coreMm: number;
  /** The largest connected part at or above SOLID_HU (mean diameter, mm). */
  largestMm: number;
  /** solidComponent's mean diameter (mm). */
  solidMm: number;
}

const r2 = (v: number) => Math.round(v * 100) / 100;
const rows: Row[] = [];
for await (const { series, nodule: n, volume, inLung, centre } of nodulesInLung(
  insertDirs.flatMap(insertedSeries),
  (n) => n.type === 'part-solid',
)) {
  const coreMm = (n as { coreMm?: number | null }).coreMm;
  if (typeof coreMm !== 'number') continue;
  const outline = segmentCandidate(volume, { centre, type: 'part-solid', extentMm: n.diameterMm, inLung });
  const largestMm = measureRegion(largestSolidPart(outline, volume), volume).meanDiameterMm;
  // A part-solid outline with no solid voxel has no solid part to compare.
  if (largestMm === 0) continue;
  rows.push({
    ...noduleRow(series, n),
    coreMm,
    largestMm: r2(largestMm),
    solidMm: r2(measureRegion(solidComponent(outline, volume, inLung), volume).meanDiameterMm),
  });
}

/** Lung-RADS's part-solid bands of the solid part (mm). */
const band = (mm: number) => (mm < 6 ? 0 : mm < 8 ? 1 : 2);
const errors = (rs: Row[], key: 'largestMm' | 'solidMm') => ({
  maeMm: r2(rs.reduce((a, r) => a + Math.abs(r[key] - r.coreMm), 0) / Math.max(1, rs.length)),
  biasMm: r2(rs.reduce((a, r) => a + r[key] - r.coreMm, 0) / Math.max(1, rs.length)),
  maxErrorMm: r2(Math.max(0, ...rs.map((r) => Math.abs(r[key] - r.coreMm)))),
  inCoreBand: rs.filter((r) => band(r[key]) === band(r.coreMm)).length,
});
const summary = (rs: Row[]) =>
  Object.fromEntries(
    ['all', 'free', 'juxtapleural', 'juxtavascular'].map((att) => {
      const sel = rs.filter((r) => att === 'all' || r.attachment === att);
      return [att, { n: sel.length, largest: errors(sel, 'largestMm'), solidComponent: errors(sel, 'solidMm') }];
    }),
  );
writeCheckReport({ out, insertDirs, chooseSeeds }, rows, summary);
