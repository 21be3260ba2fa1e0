/**
 * A finding's outline, measurements and type. The characterizer's type chooses the density level
 * the outline is drawn at (segment.ts), and one call matters more than the others: a part-solid
 * nodule called solid is outlined at the solid level, without its ground-glass rim, and measured
 * short (inserted part-solid nodules of 24-30 mm measured 16-24 mm; training/type_check.ts). So a
 * nodule called solid is also outlined at the part-solid level, and where that outline is large
 * and mostly not solid, the density says part-solid and its outline and solid part are used. A
 * small core in faint ground glass is outlined as its core at that level; its part-solid outline
 * that also takes in a thin rim decides too, with a stricter share (faint inserted part-solid
 * nodules called solid had been listed at their cores: 16.6-18.9 mm ones at 9.3-10.6 mm;
 * training/README, session 33).
 */
import type { NoduleType } from '../../common/findings/findings-document';
import type { Vec3, Volume } from '../../common/volume';
import {
  measureRegion,
  regionHas,
  thresholdRegion,
  type MaskRegion,
  type NoduleMeasurements,
} from '../findings/measurements';
import { labelComponents } from './morphology';
import { partSolidOutlines, SOLID_HU, segmentCandidate, solidOutline } from './segment';

export interface OutlineRequest {
  /** Candidate centre in continuous volume voxels. */
  centre: Vec3;
  /** The characterizer's call. */
  modelType: NoduleType;
  /** Stage 1's expected diameter (mm). */
  extentMm: number;
  inLung?: (i: number, j: number, k: number) => boolean;
}

export interface NoduleOutline {
  type: NoduleType;
  region: MaskRegion;
  m: NoduleMeasurements;
  /** The solid component's mean diameter for a part-solid nodule, else the whole nodule's. */
  solidMm: number;
}

/**
 * Below this mean diameter (mm) the part-solid outline of a solid nodule is mostly its blurred
 * edge (a 9.4 mm inserted solid nodule: 55% of it at or above -300 HU), so density decides
 * nothing there.
 */
export const DENSITY_TYPE_MIN_MM = 12;
/**
 * A part-solid outline with less than this share of its voxels at or above SOLID_HU is
 * not a solid nodule. Chosen on inserted nodules of LIDC-IDRI-0001 seeds 1-12 (training/
 * type_check.ts): solid ones >= 12 mm held 0.64-0.90, the part-solid ones called solid 0.33-0.48.
 */
export const SOLID_SHARE_MIN = 0.58;

/**
 * A part-solid outline that took in a thin rim of ground glass around a small core (segment.ts,
 * haze 'any') with less than this share of its voxels at or above SOLID_HU is not a solid nodule.
 * Around a solid nodule that rim is the blur at its edge and the vessels at it. Inserted nodules
 * that only this outline reaches (training/density_check.ts, true centres), chosen on seeds 1-12
 * and 201-206: part-solid ones 0.07-0.18, then one at 0.275; solid ones (8-12 mm, juxtavascular
 * or lobulated) from 0.285. The cut is half-way between 0.18 and 0.285, leaving the close pair
 * alone. Seeds 41-48 and 207-212 after: part-solid 0.06-0.27, solid from 0.35.
 */
export const THIN_RIM_SOLID_SHARE_MIN = 0.23;

/** A part-solid outline's size and solid share (densityType's evidence). */
export interface DensityEvidence {
  meanDiameterMm: number;
  solidShare: number;
}

/**
 * The type the density gives a nodule the characterizer called `modelType` (pure): part-solid
 * where its part-solid outline read with wide ground glass only (`wide`) or also with a thin rim
 * around a small core (`thinRim`) is DENSITY_TYPE_MIN_MM or more and mostly not solid.
 */
export function densityType(
  modelType: NoduleType,
  wide: DensityEvidence,
  thinRim?: DensityEvidence,
): NoduleType {
  if (modelType !== 'solid') return modelType;
  return partSolidBy(wide, SOLID_SHARE_MIN) ||
    (thinRim !== undefined && partSolidBy(thinRim, THIN_RIM_SOLID_SHARE_MIN))
    ? 'part-solid'
    : 'solid';
}

function partSolidBy({ meanDiameterMm, solidShare }: DensityEvidence, shareBelow: number): boolean {
  return meanDiameterMm >= DENSITY_TYPE_MIN_MM && solidShare < shareBelow;
}

/** The share of the region's voxels at or above SOLID_HU (0 for an empty region). */
export function solidShare(region: MaskRegion, volume: Volume): number {
  let all = 0;
  let solid = 0;
  const inside = thresholdRegion(region, volume, SOLID_HU).mask;
  for (let v = 0; v < region.mask.length; v++) {
    all += region.mask[v]!;
    solid += inside[v]!;
  }
  return all === 0 ? 0 : solid / all;
}

/** The nodule's outline, measurements and type at the candidate (`req.centre`). */
export function outlineNodule(volume: Volume, req: OutlineRequest): NoduleOutline {
  const first = outlineFrom(volume, req);
  if (req.modelType !== 'ground-glass' || first.m.voxelCount === 0) return first;
  // A ground-glass nodule's level is read from its density around the centre, and stage 1's
  // candidate may sit off its middle on denser tissue: LIDC-IDRI-0002's nodule, 8 mm off it
  // (median -528 HU within 4 mm there, -660 at the middle), measured 26.6 x 21.8 mm, 5808 mm^3
  // from there and 28.1 x 23.0 mm, 7615 mm^3 from the outline's own middle (its readers:
  // 28.1-28.5 x 20.1-21.7 mm, 6577-7912 mm^3). So it is drawn again from there, kept only where
  // it still holds the candidate (it has not slid along a vessel or the pleura to something else).
  const round = (p: Vec3) => p.map(Math.round) as Vec3;
  const middle = first.m.centroidVoxel;
  if (!regionHas(first.region, round(middle))) return first;
  const again = outlineFrom(volume, { ...req, centre: middle });
  return again.m.voxelCount > 0 && regionHas(again.region, round(req.centre)) ? again : first;
}

function outlineFrom(volume: Volume, req: OutlineRequest): NoduleOutline {
  const where = { centre: req.centre, extentMm: req.extentMm, inLung: req.inLung };
  const measured = (type: NoduleType, region: MaskRegion) => ({
    type,
    region,
    m: measureRegion(region, volume),
  });
  let chosen = measured(req.modelType, segmentCandidate(volume, { ...where, type: req.modelType }));
  if (req.modelType === 'solid') {
    // The wide outline's share was chosen on the -600 HU outline (the haze step for wide ground
    // glass changed no decision); the thin-rim outline needs a stricter share (THIN_RIM_SOLID_SHARE_MIN).
    const outlines = partSolidOutlines(volume, where);
    const evidence = (o: ReturnType<typeof measured>): DensityEvidence => ({
      meanDiameterMm: o.m.meanDiameterMm,
      solidShare: solidShare(o.region, volume),
    });
    const wide = measured('part-solid', outlines.wide);
    const wideEvidence = evidence(wide);
    if (densityType('solid', wideEvidence) === 'part-solid') chosen = wide;
    else if (outlines.any !== outlines.wide) {
      const thinRim = measured('part-solid', outlines.any);
      if (densityType('solid', wideEvidence, evidence(thinRim)) === 'part-solid') chosen = thinRim;
    }
  }
  const solidMm =
    chosen.type === 'part-solid'
      ? measureRegion(solidComponent(chosen.region, volume, req.inLung), volume).meanDiameterMm
      : chosen.m.meanDiameterMm;
  return { ...chosen, solidMm };
}

/**
 * Below this mean diameter (mm) a part-solid nodule's solid component is the largest connected
 * part of its outline at or above SOLID_HU as it is; from it, that part's own outline (below).
 * The opening that cuts a vessel off eats into a small core's edge: inserted 3 mm cores measured
 * 0.6 mm small that way, and cores under 4 mm gained nothing (training/solid_part_check.ts).
 */
export const SOLID_OWN_OUTLINE_MIN_MM = 4;

/**
 * A part-solid nodule's solid component: the largest connected part of its outline at or above
 * SOLID_HU (all such voxels together also counted noise speckles and vessels crossing the ground
 * glass, and their calipers spanned the whole nodule: inserted part-solid nodules, LIDC-IDRI-0001
 * seeds 41-48, solid part mean diameter error 2.54 mm, at most 9.2; then 0.76 and 2.2;
 * training/type_check.ts). From SOLID_OWN_OUTLINE_MIN_MM up, that part outlined on its own as a
 * solid nodule is (segment.ts solidOutline), within the nodule's outline: a vessel joined to the
 * core had been measured with it (inserted juxtavascular part-solid nodules: solid part error
 * 3.45 -> 1.87 mm on the choosing seeds, 1.62 -> 0.87 on the others).
 */
export function solidComponent(
  region: MaskRegion,
  volume: Volume,
  inLung?: (i: number, j: number, k: number) => boolean,
): MaskRegion {
  const largest = largestSolidPart(region, volume);
  const m = measureRegion(largest, volume);
  if (m.meanDiameterMm < SOLID_OWN_OUTLINE_MIN_MM) return largest;
  const own = solidOutline(volume, { centre: m.centroidVoxel, extentMm: m.meanDiameterMm, inLung });
  const [bx, by] = own.size;
  const mask = own.mask.map((inside, v) =>
    inside === 1 &&
    regionHas(region, [
      own.origin[0] + (v % bx),
      own.origin[1] + (((v / bx) | 0) % by),
      own.origin[2] + ((v / (bx * by)) | 0),
    ])
      ? 1
      : 0,
  );
  return mask.includes(1) ? { ...own, mask } : largest;
}

/** The largest connected part of the region at or above SOLID_HU (solidComponent's first step). */
export function largestSolidPart(region: MaskRegion, volume: Volume): MaskRegion {
  const dense = thresholdRegion(region, volume, SOLID_HU);
  return { ...dense, mask: largestComponent(dense.mask, dense.size) };
}

/** The largest 6-connected component of m (the first labelled of equals; empty when m is). */
function largestComponent(m: Uint8Array, size: Vec3): Uint8Array {
  const { labels, sizes } = labelComponents(m, size);
  let best = 0;
  for (let id = 1; id < sizes.length; id++) if (sizes[id]! > (sizes[best] ?? 0)) best = id;
  const out = new Uint8Array(m.length);
  if (best > 0) for (let v = 0; v < m.length; v++) out[v] = labels[v] === best ? 1 : 0;
  return out;
}
