/**
 * The evidence behind segment.ts's denser-part rule (beyondDenserPart): ground-glass nodules with
 * a denser part off their middle, painted into LIDC-IDRI-0001 and -0002 (tests/support/
 * painted-nodule.ts: the density is added to the voxels, so each scan's own noise and texture stay
 * on it), outlined as the app outlines a ground-glass finding (nodule-outline.ts outlineNodule)
 * from the denser part with small stage-1 scales (where a small-scale blob would put the
 * candidate) and from the nodule's middle with its true diameter. Inserted nodules are uniformly
 * dense and cannot show this, so these painted ones are the check.
 *
 *   node --import tsx training/denser_part_check.ts [--out training/runs/denser-part-check.json]
 *
 * Two sets: 'choosing', the two sites and twelve nodules the rule was designed on (LIDC-IDRI-0001
 * only, the part 4.5-6 mm off the middle), and 'held out', made after the rule was chosen: seven
 * other sites on both scans, four nodules each (14-22 mm, -700..-620 HU, parts 150-250 HU denser,
 * 5-8 mm, in four directions), each with its part half-way out and at the nodule's edge; and
 * 'fresh' (session 38, made after the held-out set was read): four other sites on each scan, eight
 * nodules each drawn by createRng(38) (14-22 mm, -720..-610 HU, parts 150-260 HU denser, 5-8 mm,
 * seven directions, at the edge and 40-60% out). Reports
 * each set's mean absolute error of the mean diameter against the painted diameter, and how many
 * readings fall within 20% of it, under it by more than 30% and over it by more than 15%.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { outlineNodule } from '../src/core/inference/nodule-outline';
import { worldToVoxel, type Vec3 } from '../src/common/volume';
import { createRng } from '../src/core/synth/prng';
import { painted, PARENCHYMA_HU } from '../tests/support/painted-nodule';
import { cachedLidcSeries, flagValue, openSeries } from './inserted-series';

const args = process.argv.slice(2);
const out = resolve(flagValue(args, 'out', 'training/runs/denser-part-check.json'));

/** A painted nodule: its middle, radius and density, and its denser part's offset, radius and density over it. */
interface Painted {
  set: 'choosing' | 'held out' | 'fresh';
  study: '0001' | '0002';
  middle: Vec3;
  radiusMm: number;
  hu: number;
  partOffset: Vec3;
  partRadiusMm: number;
  partOverHu: number;
}

const nodules: Painted[] = [];
for (const middle of [
  [-60, 40, -150],
  [80, 30, -140],
] as Vec3[])
  for (const [r, hu, partHu, pr, off] of [
    [8, -650, -450, 3, 4.5],
    [9, -650, -450, 3.5, 5],
    [10, -650, -450, 4, 6],
    [10, -650, -450, 3, 6],
    [8, -700, -500, 3, 4.5],
    [10, -600, -400, 4, 5.5],
  ] as const)
    nodules.push({
      set: 'choosing',
      study: '0001',
      middle,
      radiusMm: r,
      hu,
      partOffset: [off, 0, 0],
      partRadiusMm: pr,
      partOverHu: partHu - hu,
    });
const heldOut: Record<'0001' | '0002', Vec3[]> = {
  '0001': [
    [-60.5, -18.4, -125.0],
    [77.3, 23.8, -132.5],
    [-58.4, -24.0, -157.5],
    [69.5, 1.3, -122.5],
  ],
  '0002': [
    [-94.4, -45.0, -153.2],
    [-69.8, 40.2, -247.0],
    [98.5, 53.9, -129.5],
  ],
};
const directions: Vec3[] = [
  [1, 0, 0],
  [0, 1, 0],
  [0, 0, 1],
  [-Math.SQRT1_2, Math.SQRT1_2, 0],
];
let k = 0;
for (const where of ['edge', 'inside'] as const)
  for (const study of ['0001', '0002'] as const)
    for (const middle of heldOut[study])
      for (const [r, hu, over, pr] of [
        [7, -680, 180, 2.5],
        [9, -620, 150, 3],
        [11, -700, 250, 4],
        [8, -650, 200, 3.5],
      ] as const) {
        const d = directions[k % directions.length]!;
        const off = where === 'edge' ? r - pr - 0.5 : [0.5, 0.6, 0.45][k % 3]! * r;
        k += 1;
        nodules.push({
          set: 'held out',
          study,
          middle,
          radiusMm: r,
          hu,
          partOffset: [d[0] * off, d[1] * off, d[2] * off],
          partRadiusMm: pr,
          partOverHu: over,
        });
      }

// Session 38: a fresh set, made after session 37's rule was chosen and its held-out set read: four
// sites on each scan where insert_nodules.py placed free nodules of 19-25 mm in the fresh faint
// seeds 213-224 (never used for this rule), eight nodules each drawn by the project's seeded generator.
const fresh: Record<'0001' | '0002', Vec3[]> = {
  '0001': [
    [-36.6, 13.2, -77.5],
    [-48.6, 47.0, -92.5],
    [66.7, -10.0, -92.5],
    [79.4, -14.2, -117.5],
  ],
  '0002': [
    [59.0, 40.2, -255.8],
    [-58.3, -39.5, -149.5],
    [84.9, 21.8, -230.8],
    [-57.6, 34.1, -155.8],
  ],
};
const rng = createRng(38);
const freshDirections: Vec3[] = [...directions, [0.577, 0.577, 0.577], [0.707, 0, -0.707], [0, -0.707, 0.707]];
for (const study of ['0001', '0002'] as const)
  for (const middle of fresh[study])
    for (let i = 0; i < 8; i++) {
      const r = Math.round(rng.uniform(7, 11) * 2) / 2;
      const pr = Math.round(rng.uniform(2.5, Math.min(4, r / 2.5)) * 2) / 2;
      const d = rng.pick(freshDirections);
      const off = i % 2 === 0 ? r - pr - 0.5 : rng.uniform(0.4, 0.6) * r;
      nodules.push({
        set: 'fresh',
        study,
        middle,
        radiusMm: r,
        hu: Math.round(rng.uniform(-720, -610)),
        partOffset: [d[0] * off, d[1] * off, d[2] * off],
        partRadiusMm: pr,
        partOverHu: Math.round(rng.uniform(150, 260)),
      });
    }

interface Row extends Painted {
  from: 'part' | 'middle';
  extentMm: number;
  meanDiameterMm: number;
  longAxisMm: number;
  shortAxisMm: number;
}

const rows: Row[] = [];
const r1 = (v: number) => Math.round(v * 10) / 10;
for (const study of ['0001', '0002'] as const) {
  const dir = cachedLidcSeries(resolve('.'), study);
  if (dir === null) throw new Error(`LIDC-IDRI-${study} is not extracted under .cache (see training/README)`);
  const { volume, inLung } = await openSeries(dir);
  for (const n of nodules.filter((p) => p.study === study)) {
    const part: Vec3 = [0, 1, 2].map((a) => n.middle[a]! + n.partOffset[a]!) as Vec3;
    const withPart = painted(
      painted(volume, n.middle, n.radiusMm, () => n.hu),
      part,
      n.partRadiusMm,
      () => PARENCHYMA_HU + n.partOverHu,
    );
    for (const [from, at, extentMm] of [
      ['part', part, 6],
      ['part', part, 8],
      ['part', part, 10],
      ['middle', n.middle, 2 * n.radiusMm],
    ] as const) {
      const o = outlineNodule(withPart, {
        centre: worldToVoxel(volume, at),
        modelType: 'ground-glass',
        extentMm,
        inLung,
      });
      rows.push({
        ...n,
        from,
        extentMm,
        meanDiameterMm: r1(o.m.meanDiameterMm),
        longAxisMm: r1(o.m.longAxisMm),
        shortAxisMm: r1(o.m.shortAxisMm),
      });
    }
  }
}

function summary(of: Row[]) {
  const err = of.map((r) => ({ e: r.meanDiameterMm - 2 * r.radiusMm, d: 2 * r.radiusMm }));
  return {
    readings: of.length,
    meanAbsErrorMm: Math.round((err.reduce((s, { e }) => s + Math.abs(e), 0) / of.length) * 100) / 100,
    within20Percent: err.filter(({ e, d }) => Math.abs(e) <= 0.2 * d).length,
    underBy30Percent: err.filter(({ e, d }) => e < -0.3 * d).length,
    overBy15Percent: err.filter(({ e, d }) => e > 0.15 * d).length,
  };
}
const report = {
  summary: Object.fromEntries(
    (['choosing', 'held out', 'fresh'] as const).flatMap((set) =>
      (['part', 'middle'] as const).map((from) => [
        `${set}, from the ${from}`,
        summary(rows.filter((r) => r.set === set && r.from === from)),
      ]),
    ),
  ),
  rows,
};
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report.summary, null, 2));
