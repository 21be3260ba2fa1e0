/**
 * A finding's type and size where the characterizer calls a large part-solid nodule solid
 * (training/type_check.ts: 4 of the 9 inserted part-solid nodules >= 12 mm on seeds 1-12 and
 * 41-48; each was then outlined at the solid level, without its ground-glass rim, and measured
 * 5-11 mm short), and where stage 1's candidate sits on a denser part of a ground-glass nodule.
 * Nodules painted into LIDC-IDRI-0001's own parenchyma (its noise kept: the nodule's density is
 * added to the voxels), and the scan's real nodule.
 */
import { describe, expect, it } from 'vitest';
import { loadSeries, scanDicomInputs } from '../../src/core/dicom';
import { coarseLungMask, inLungCore } from '../../src/core/inference/lung-mask';
import { outlineNodule } from '../../src/core/inference/nodule-outline';
import type { NoduleType } from '../../src/common/findings/findings-document';
import { worldToVoxel, type Vec3, type Volume } from '../../src/common/volume';
import { painted, PARENCHYMA_HU } from '../support/painted-nodule';
import { lidcStudy, missingData } from '../support/shared-data';

const missing = missingData('ct/LIDC-IDRI-0001.tar.xz');
if (missing) console.warn(`[skip] nodule outline on LIDC-IDRI-0001: ${missing}`);

describe.skipIf(missing !== null)('outlineNodule on LIDC-IDRI-0001', () => {
  it('measures a large part-solid nodule called solid as part-solid, with its rim; keeps solid nodules solid', async () => {
    const scan = await scanDicomInputs([lidcStudy('0001').seriesDir]);
    const { volume } = await loadSeries(scan.series[0]!);
    const { coarse, lung } = coarseLungMask(volume, [2, 2, 2]);
    const inLung = inLungCore(coarse, lung);
    const outline = (v: Volume, at: Vec3, modelType: NoduleType, extentMm: number) =>
      outlineNodule(v, { centre: worldToVoxel(volume, at), modelType, extentMm, inLung });

    // 24 mm: ground glass of -520 HU around a 13 mm solid core.
    const PART: Vec3 = [-60, 40, -150];
    const partSolid = painted(volume, PART, 12, (r) => (r <= 6.5 ? 30 : -520));
    const p = outline(partSolid, PART, 'solid', 14);
    console.log(
      `[report] painted part-solid 24 mm (core 13 mm), called solid: ${p.type}, ${p.m.meanDiameterMm.toFixed(1)} mm, solid ${p.solidMm.toFixed(1)} mm`,
    );
    expect(p.type).toBe('part-solid');
    expect(Math.abs(p.m.meanDiameterMm - 24)).toBeLessThan(2.5);
    expect(Math.abs(p.solidMm - 13)).toBeLessThan(2.5);

    // 20 mm part-solid with faint ground glass (-650 HU, as real ground glass often is: the
    // readers' LIDC-IDRI-0002 nodule averages -670) around an 8 mm core, called part-solid: the
    // fixed -600 HU level alone leaves the rim out (9.1 mm, about its core).
    const faint = painted(volume, PART, 10, (r) => (r <= 4 ? 30 : -650));
    const f = outline(faint, PART, 'part-solid', 10);
    console.log(
      `[report] painted part-solid 20 mm, ground glass -650 HU (core 8 mm): ${f.m.meanDiameterMm.toFixed(1)} mm, solid ${f.solidMm.toFixed(1)} mm`,
    );
    expect(f.type).toBe('part-solid');
    // Measured 20.2 mm (22.5 before session 33, when the haze level was read 2-4 mm out, on the
    // painted ramp's blurred edge).
    expect(Math.abs(f.m.meanDiameterMm - 20)).toBeLessThan(3);
    expect(Math.abs(f.solidMm - 8)).toBeLessThan(2);

    // 20 mm part-solid called solid: faint ground glass (-700 HU) in a 3 mm rim around a 14 mm
    // core. The 2-4 mm shell beyond the -600 HU outline is half rim, half parenchyma, so its lower
    // quartile says no haze; in most directions its median stands over the parenchyma (segment.ts
    // hazeAroundShare). Before: solid, 15.7 x 14.4 mm.
    const rim = painted(volume, PART, 10, (r) => (r <= 7 ? 30 : -700));
    const w = outline(rim, PART, 'solid', 14);
    console.log(
      `[report] painted part-solid 20 mm, -700 HU rim around a 14 mm core, called solid: ${w.type}, ${w.m.meanDiameterMm.toFixed(1)} mm, solid ${w.solidMm.toFixed(1)} mm`,
    );
    expect(w.type).toBe('part-solid');
    expect(Math.abs(w.m.meanDiameterMm - 20)).toBeLessThan(1.5);
    expect(Math.abs(w.solidMm - 14)).toBeLessThan(1.5);

    // 16 mm part-solid with a 7 mm core (-550 HU ground glass) and a 3 mm vessel that runs from the
    // core out through the ground glass: the solid part is the core's own outline, the vessel cut
    // off where it joins (nodule-outline.ts solidComponent). Before: 9.5 mm, the vessel in it.
    let withVessel = painted(volume, PART, 8, (r) => (r <= 3.5 ? 30 : -550));
    for (let t = 3.5; t <= 19.5; t += 1)
      withVessel = painted(withVessel, [PART[0] + t * 0.8, PART[1] - t * 0.6, PART[2]], 1.5, () => 30);
    const v = outline(withVessel, PART, 'part-solid', 8);
    console.log(
      `[report] painted part-solid 16 mm, 7 mm core with a vessel: ${v.type}, ${v.m.meanDiameterMm.toFixed(1)} mm, solid ${v.solidMm.toFixed(1)} mm`,
    );
    expect(v.type).toBe('part-solid');
    expect(Math.abs(v.solidMm - 7)).toBeLessThan(1.5);

    // A 9 mm solid nodule on a vessel (where insert_nodules.py placed a juxtavascular one, seed
    // 44): the vessel and the blur at its edge may read as a thin rim of ground glass
    // (densityType's thin-rim evidence), but it stays solid.
    const ON_VESSEL: Vec3 = [40.641, 42.365, -112.069];
    const juxta = painted(volume, ON_VESSEL, 4.5, () => 30);
    const j = outline(juxta, ON_VESSEL, 'solid', 9);
    console.log(
      `[report] painted solid 9 mm on a vessel: ${j.type}, ${j.m.longAxisMm.toFixed(1)} x ${j.m.shortAxisMm.toFixed(1)} mm`,
    );
    expect(j.type).toBe('solid');
    // Measured at the solid level with the vessel's base where it joins (12.3 x 11.4 mm). The
    // thin-rim outline the type check reads: 14.7 mm, 61% of it solid.
    expect(j.m.meanDiameterMm).toBeLessThan(13);
    // 14 mm there: the vessels around it stay out of the haze read all around it; still solid.
    expect(
      outline(
        painted(volume, ON_VESSEL, 7, () => 30),
        ON_VESSEL,
        'solid',
        12,
      ).type,
    ).toBe('solid');

    // 20 mm solid: stays solid, measured at the solid level.
    const SOLID: Vec3 = [-60, 20, -100];
    const solid = painted(volume, SOLID, 10, () => 30);
    const s = outline(solid, SOLID, 'solid', 14);
    expect(s.type).toBe('solid');
    expect(Math.abs(s.m.meanDiameterMm - 20)).toBeLessThan(2);

    // The scan's own nodule (readers' texture 5, 5, 5, 4: solid) stays solid.
    const LUNA: Vec3 = [56.20840547, 86.34341278, -115.8675792];
    const real = outline(volume, LUNA, 'solid', 22);
    expect(real.type).toBe('solid');
    expect(real.m.meanDiameterMm).toBeGreaterThan(25);
  }, 300_000);

  it('outlines a ground-glass nodule whole from a denser part at its side', async () => {
    const scan = await scanDicomInputs([lidcStudy('0001').seriesDir]);
    const { volume } = await loadSeries(scan.series[0]!);
    const { coarse, lung } = coarseLungMask(volume, [2, 2, 2]);
    const inLung = inLungCore(coarse, lung);
    const outline = (v: Volume, at: Vec3, extentMm: number) =>
      outlineNodule(v, { centre: worldToVoxel(volume, at), modelType: 'ground-glass', extentMm, inLung });

    // 20 mm ground glass (-650 HU) with a denser part (-450 HU, 8 mm) 6 mm off its middle, where
    // stage 1 may put a small-scale candidate. The level read around that spot lies at the ground
    // glass's own density, so the outline was the denser part alone (9.3 x 7.8 mm): the ground
    // glass all around it says the nodule goes on (segment.ts beyondDenserPart).
    const GGN: Vec3 = [-60, 40, -150];
    const PART: Vec3 = [GGN[0] + 6, GGN[1], GGN[2]];
    const ggn = painted(
      painted(volume, GGN, 10, () => -650),
      PART,
      4,
      () => PARENCHYMA_HU + 200,
    );
    const fromPart = outline(ggn, PART, 8);
    const fromMiddle = outline(ggn, GGN, 8);
    console.log(
      `[report] painted ground glass 20 mm with a denser part at its side: from the part ${fromPart.m.longAxisMm.toFixed(1)} x ${fromPart.m.shortAxisMm.toFixed(1)} mm, from its middle ${fromMiddle.m.longAxisMm.toFixed(1)} x ${fromMiddle.m.shortAxisMm.toFixed(1)} mm`,
    );
    expect(fromPart.type).toBe('ground-glass');
    expect(Math.abs(fromPart.m.meanDiameterMm - 20)).toBeLessThan(3);
    expect(Math.abs(fromPart.m.meanDiameterMm - fromMiddle.m.meanDiameterMm)).toBeLessThan(2);

    // An 8 mm ground-glass nodule on a vessel (where insert_nodules.py placed a juxtavascular one,
    // seed 2): the vessel and its blur around the half-way outline are not more ground glass. Drawn
    // at the lower level whatever it grows, it measured 12.8 x 11.7 mm; now 9.3 x 5.9 (the outline
    // at the lower level grows by a median under DENSER_PART_GROWTH_MM).
    const ON_VESSEL: Vec3 = [-39.983, 13.954, -89.606];
    const small = outline(
      painted(volume, ON_VESSEL, 4, () => -650),
      ON_VESSEL,
      8,
    );
    console.log(
      `[report] painted ground glass 8 mm on a vessel: ${small.m.longAxisMm.toFixed(1)} x ${small.m.shortAxisMm.toFixed(1)} mm`,
    );
    expect(small.m.meanDiameterMm).toBeLessThan(10);
  }, 300_000);
});
