/**
 * The evidence behind nodule-outline.ts's density check (densityType): for every inserted solid and
 * part-solid nodule (every margin and site, diameter >= --min mm, centre in the aerated lung:
 * site_check.py's <series>.sites.json where it exists, and the app's own lung mask), the two
 * part-solid outlines the check reads when the characterizer calls a nodule solid, at the nodule's
 * true centre with its true diameter as the stage-1 scale: with wide ground glass only (haze
 * 'wide') and also with a thin rim around a small core ('any'); their mean diameter and the share
 * of their voxels at or above SOLID_HU; and the share of the directions around the -600 HU outline
 * where ground glass continues (segment.ts hazeAroundShare). The model's call is left out: every nodule is treated as
 * called solid, so the counts say what the check would do to each.
 *
 *   node --import tsx training/density_check.ts [--insert training/runs/insert,training/runs/insert-faint] \
 *     [--min 8] [--choose 1-12,201-206] [--out training/runs/density-check.json]
 *
 * Reports for the choosing seeds (--choose) and the rest: part-solid nodules typed part-solid by
 * the wide rule alone and with the thin-rim rule, solid nodules typed part-solid; and, among the
 * nodules only the thin-rim outline reaches (>= DENSITY_TYPE_MIN_MM there, not by the wide rule),
 * the solid shares of the part-solid and of the solid ones.
 */
import { measureRegion } from '../src/core/findings/measurements';
import { DENSITY_TYPE_MIN_MM, densityType, solidShare, type DensityEvidence } from '../src/core/inference/nodule-outline';
import { partSolidHaze, segmentCandidate } from '../src/core/inference/segment';
import {
  checkOptions,
  insertedSeries,
  nodulesInLung,
  noduleRow,
  writeCheckReport,
  type NoduleRow,
} from './inserted-series';

const { arg, insertDirs, out, chooseSeeds } = checkOptions(process.argv.slice(2), 'density-check.json');
const minMm = Number(arg('min', '8'));

interface Row extends NoduleRow {
  type: 'solid' | 'part-solid';
  wide: DensityEvidence;
  thinRim: DensityEvidence;
  /** segment.ts hazeAroundShare around the -600 HU outline (null: no haze reading). */
  hazeAroundShare: number | null;
}

const r3 = (v: number) => Math.round(v * 1000) / 1000;
const rows: Row[] = [];
for await (const { series, nodule: n, volume, inLung, centre } of nodulesInLung(
  insertDirs.flatMap(insertedSeries),
  (n) => n.type !== 'ground-glass' && n.diameterMm >= minMm,
)) {
  const evidence = (haze: 'wide' | 'any'): DensityEvidence => {
    const region = segmentCandidate(volume, { centre, type: 'part-solid', extentMm: n.diameterMm, inLung, haze });
    return {
      meanDiameterMm: r3(measureRegion(region, volume).meanDiameterMm),
      solidShare: r3(solidShare(region, volume)),
    };
  };
  rows.push({
    ...noduleRow(series, n),
    type: n.type as Row['type'],
    wide: evidence('wide'),
    thinRim: evidence('any'),
    hazeAroundShare: ((h) => (h === null ? null : r3(h.aroundShare)))(
      partSolidHaze(volume, { centre, extentMm: n.diameterMm, inLung }),
    ),
  });
}

const summary = (rs: Row[]) => {
  const ps = rs.filter((r) => r.type === 'part-solid');
  const solid = rs.filter((r) => r.type === 'solid');
  const byWide = (r: Row) => densityType('solid', r.wide) === 'part-solid';
  const byBoth = (r: Row) => densityType('solid', r.wide, r.thinRim) === 'part-solid';
  // Reached by the thin-rim outline only: its size qualifies where the wide rule says solid.
  const thinOnly = rs.filter((r) => !byWide(r) && r.thinRim.meanDiameterMm >= DENSITY_TYPE_MIN_MM);
  const shares = (t: Row['type']) =>
    thinOnly
      .filter((r) => r.type === t)
      .map((r) => r.thinRim.solidShare)
      .sort((a, b) => a - b);
  return {
    partSolid: ps.length,
    partSolidByWide: ps.filter(byWide).length,
    partSolidByBoth: ps.filter(byBoth).length,
    solid: solid.length,
    solidByWide: solid.filter(byWide).length,
    solidByBoth: solid.filter(byBoth).length,
    thinRimOnlyShares: { partSolid: shares('part-solid'), solid: shares('solid') },
  };
};
writeCheckReport({ out, insertDirs, chooseSeeds, extra: { minMm } }, rows, summary);
