import { regionHas, type MaskRegion } from '../findings/measurements';
import type { NoduleType } from '../../common/findings/findings-document';
import type { Vec3, Volume } from '../../common/volume';
import { lineScratch, squaredDistanceLine } from './distance-transform';
import {
  GROUND_GLASS_FALLBACK_HU,
  GROUND_GLASS_LEVEL_RANGE,
  GROUND_GLASS_SMOOTHING_MM,
  groundGlassLevel,
  type GroundGlassEdge,
  parenchymaHu,
  quantile,
  smoothedBox,
} from './ground-glass-level';

export interface SegmentOptions {
  /** Candidate centre in continuous volume voxels. */
  centre: Vec3;
  type: NoduleType;
  /** Expected diameter (mm) from stage 1 (blob scale or U-Net extent); sets the box and the opening. */
  extentMm: number;
  /** The lung mask at a volume voxel; growth never leaves it, so chest wall stays out. */
  inLung?: (i: number, j: number, k: number) => boolean;
  /**
   * Which ground glass beyond a part-solid nodule's -600 HU outline outlines it again (hazeBeyond):
   * 'any' (the default) also a thin rim around a small core; 'wide' only ground glass that fills
   * the 2-4 mm shell. The density check of a nodule called solid (nodule-outline.ts) asks for
   * 'wide': a small solid nodule's blurred edge and the vessels at it read as a thin rim (3 solid
   * inserted nodules of seeds 41-48 became part-solid).
   */
  haze?: HazeEvidence;
}

/** Which ground glass beyond a part-solid outline counts (SegmentOptions.haze). */
export type HazeEvidence = 'any' | 'wide';

/**
 * How outlineAt draws: a ground-glass nodule on the 1 mm-smoothed voxels at its own level, at
 * `edge` (ground-glass-level.ts); a solid or part-solid one at `hu` on the stored voxels; a
 * part-solid one's haze (hazeBeyond) at `hu` on the smoothed voxels, around `own`, its -600 HU
 * outline.
 */
type Level =
  | { kind: 'ground-glass'; edge: GroundGlassEdge }
  | { kind: 'stored'; hu: number }
  | { kind: 'haze'; hu: number; own: MaskRegion };

/**
 * Density level that separates a nodule from aerated lung (about -850 HU): for a solid nodule
 * half-way to soft tissue; for a part-solid one low enough to hold its ground-glass rim (about
 * -600 HU) and high enough to leave the parenchyma around it; for ground glass just above the
 * parenchyma (segmentCandidate draws a ground-glass nodule at its own level instead,
 * ground-glass-level.ts, which falls back to this one where it cannot sample).
 */
export function segmentationHu(type: NoduleType): number {
  return type === 'solid' ? -500 : type === 'part-solid' ? -600 : GROUND_GLASS_FALLBACK_HU;
}

/**
 * Opening radius for a nodule whose inscribed radius is rinMm: 0.6 of it, so the ball fits well
 * inside a round nodule and cuts every vessel narrower than 1.2 x its radius, at most 2.5 mm: a
 * vessel wider than 5 mm is left to the outline's radial limit, because a larger ball also cuts
 * the vessel bases that readers count as part of a spiculated nodule (LIDC-IDRI-0001's anterior
 * margin, tests/integration/segmentation-lidc.test.ts).
 */
export function openingRadiusMm(rinMm: number): number {
  return Math.min(2.5, Math.max(0.6, 0.6 * rinMm));
}

/**
 * How far, as a multiple of the inscribed radius, the outline may reach from the nodule's
 * centre or from its inscribed ball's centre. A vessel or pleural ridge as wide as the opening
 * ball survives the opening; this stops it at 1.75 radii, which still holds a nodule 1.75 times
 * longer than it is thick (LIDC-IDRI-0001: 33 x 27 mm in-plane around a 9.8 mm inscribed radius;
 * 1.5 would cut its long axis below the readers').
 */
export const REACH_IN_INSCRIBED_RADII = 1.75;

/** Half the side of the largest box a nodule is looked for in (mm): room for a 30 mm mass and more. */
const MAX_HALF_MM = 40;

/**
 * The nodule around a candidate centre, without the vessels and pleura it touches:
 * 1. voxels at or above segmentationHu(type) inside the lung;
 * 2. its inscribed radius: the largest distance from a dense voxel to the nearest non-dense one,
 *    within half the expected radius (at least 2 mm) of the centre, then climbed to the distance
 *    map's local maximum (a candidate near the nodule's edge still finds the nodule's centre);
 * 3. a morphological opening with a ball of openingRadiusMm(inscribed radius) cuts the bridges to
 *    vessels and the pleura, which are thinner than the nodule; the opened component at the
 *    centre is the core;
 * 4. the core grows back by 0.6 x that radius into the dense voxels, so the nodule's own margin
 *    (lobulations, short spicules) returns but no vessel beyond it, and never further than
 *    REACH_IN_INSCRIBED_RADII from the centre, so a vessel as wide as the ball stops there.
 * The opening and the reach follow the nodule's own thickness, not stage 1's expected diameter
 * (which only sets the box and where to look for the inscribed ball): an estimate 30% off gives
 * the same outline (training/size_check.ts --scale).
 * When nothing survives the opening near the centre, the plain dense component is used.
 * A part-solid nodule whose ground glass continues beyond its -600 HU outline is outlined again
 * where that haze ends (hazeBeyond); a ground-glass nodule whose haze fades out well beyond its
 * half-way level, likewise (haloBeyond), and one whose small half-way outline is a denser part of
 * it, where the ground glass beyond that part ends (beyondDenserPart). An outline on smoothed voxels
 * (ground glass, that haze) first sets aside the solid structures beside the nodule
 * (attachedStructures).
 * Validated on LIDC-IDRI-0001 against the four readers' contours
 * (tests/integration/segmentation-lidc.test.ts) and on inserted nodules of known size
 * (training/size_check.ts).
 */
export function segmentCandidate(volume: Volume, opts: SegmentOptions): MaskRegion {
  if (opts.type === 'ground-glass') return haloBeyond(volume, opts);
  const outline = outlineAt(volume, opts, { kind: 'stored', hu: segmentationHu(opts.type) });
  if (opts.type !== 'part-solid') return outline;
  const haze = hazeBeyond(volume, outline, opts.inLung);
  const accept = opts.haze ?? 'any';
  return haze !== null && (haze.wide || (accept === 'any' && haze.thinRim))
    ? outlineAt(volume, opts, { kind: 'haze', hu: haze.hu, own: outline })
    : outline;
}

/**
 * A solid structure's own outline at SOLID_HU on the stored voxels, drawn as a solid nodule's is
 * (opened by a ball scaled to its inscribed radius and grown back near it), so a vessel that runs
 * into it is cut where it joins (nodule-outline.ts solidComponent: a part-solid nodule's solid part).
 */
export function solidOutline(volume: Volume, opts: Omit<SegmentOptions, 'type' | 'haze'>): MaskRegion {
  return outlineAt(volume, { ...opts, type: 'solid' }, { kind: 'stored', hu: SOLID_HU });
}

/**
 * A nodule's part-solid outline as segmentCandidate draws it with each HazeEvidence, from one
 * -600 HU outline and one reading of the haze beyond it (nodule-outline.ts's density check reads
 * both; the two are the same region unless only a thin rim was found).
 */
export function partSolidOutlines(
  volume: Volume,
  opts: Omit<SegmentOptions, 'type' | 'haze'>,
): Record<HazeEvidence, MaskRegion> {
  const outline = outlineAt(
    volume,
    { ...opts, type: 'part-solid' },
    { kind: 'stored', hu: segmentationHu('part-solid') },
  );
  const haze = hazeBeyond(volume, outline, opts.inLung);
  if (haze === null) return { wide: outline, any: outline };
  const hazy = outlineAt(
    volume,
    { ...opts, type: 'part-solid' },
    { kind: 'haze', hu: haze.hu, own: outline },
  );
  return { wide: haze.wide ? hazy : outline, any: hazy };
}

function outlineAt(volume: Volume, opts: SegmentOptions, how: Level, recentred = false): MaskRegion {
  const [vx, vy, vz] = volume.dims;
  const sp = volume.spacingMm;
  // Room for the nodule and a margin; the region may not be larger than the box.
  const halfMm = Math.min(Math.max(opts.extentMm * 1.5, 15), MAX_HALF_MM);
  const lo: Vec3 = [0, 0, 0];
  const size: Vec3 = [0, 0, 0];
  const n = [vx, vy, vz];
  for (let a = 0; a < 3; a++) {
    const r = Math.ceil(halfMm / sp[a]!);
    const c = Math.round(opts.centre[a]!);
    const l = Math.max(0, c - r);
    const h = Math.min(n[a]! - 1, c + r);
    lo[a] = l;
    size[a] = Math.max(0, h - l + 1);
  }
  const [bx, by, bz] = size;
  const empty: MaskRegion = { origin: lo, size, mask: new Uint8Array(bx * by * bz) };
  if (empty.mask.length === 0) return empty;
  const plane = vx * vy;
  const bplane = bx * by;
  const box: Box = { size, spacing: sp };
  const centre: Vec3 = [opts.centre[0] - lo[0], opts.centre[1] - lo[1], opts.centre[2] - lo[2]];
  const inLungBox = (a: number, b: number, c: number) =>
    !opts.inLung || opts.inLung(lo[0] + a, lo[1] + b, lo[2] + c);
  const smoothed = how.kind === 'stored' ? null : smoothedBox(volume, lo, size, GROUND_GLASS_SMOOTHING_MM);
  const level =
    how.kind === 'ground-glass'
      ? groundGlassLevel(smoothed!, box, centre, opts.extentMm, inLungBox, how.edge)
      : how.hu;
  const dense = new Uint8Array(bx * by * bz);
  for (let c = 0; c < bz; c++)
    for (let b = 0; b < by; b++) {
      const row = lo[0] + (lo[1] + b) * vx + (lo[2] + c) * plane;
      for (let a = 0; a < bx; a++) {
        const v = a + b * bx + c * bplane;
        if ((smoothed ? smoothed[v]! : volume.hu[row + a]!) < level) continue;
        if (!inLungBox(a, b, c)) continue;
        dense[v] = 1;
      }
    }
  // On smoothed voxels a faint outline takes in the vessels it touches and their blur; those
  // structures are set aside here and only the gaps they leave inside the nodule are closed again.
  const atLevel = smoothed ? dense.slice() : null;
  if (smoothed) {
    const own = how.kind === 'haze' ? how.own : null;
    const beside = attachedStructures(volume, lo, box, inLungBox, own, centre);
    const near = distanceTo(beside, box);
    for (let v = 0; v < dense.length; v++) if (near[v]! <= ATTACHED_MARGIN_MM + EPS_MM) dense[v] = 0;
  }
  const finish = (m: Uint8Array): Uint8Array => {
    if (!atLevel) return m;
    const closed = closedWithin(m, atLevel, box);
    return componentAt(closed, size, seedNear(closed, box, centre, 3)) ?? m;
  };
  const inside = distanceToOutside(dense, box);
  let rin = 0;
  let rinAt = -1;
  forEachNear(box, centre, Math.max(2, opts.extentMm / 4), (v) => {
    if (inside[v]! > rin) {
      rin = inside[v]!;
      rinAt = v;
    }
  });
  // The plain dense component, for when nothing is thick enough near the centre to open.
  const plain = () => {
    const m = componentAt(dense, size, seedNear(dense, box, centre, 3));
    return m ? { origin: lo, size, mask: m } : empty;
  };
  if (rinAt < 0) return plain();
  // The best-scoring candidate may sit near the nodule's edge (a small-scale blob or U-Net peak):
  // climb the distance map to its maximum, the centre of the nodule's own inscribed ball, so the
  // opening and the reach follow the nodule and not the spot the candidate happened to hit.
  rinAt = climbDistanceMap(inside, size, rinAt);
  rin = inside[rinAt]!;
  const inscribed: Vec3 = [rinAt % bx, ((rinAt / bx) | 0) % by, (rinAt / bplane) | 0];
  // A nodule larger than the box stage 1 asked for: once, again around its own centre with room
  // for its reach (the box must hold every voxel the outline may take, or the outline is cut).
  const reachMm = REACH_IN_INSCRIBED_RADII * rin + 2;
  if (!recentred && reachMm > halfMm - mmBetween(inscribed, centre, sp) && halfMm < MAX_HALF_MM) {
    const at: Vec3 = [inscribed[0] + lo[0], inscribed[1] + lo[1], inscribed[2] + lo[2]];
    return outlineAt(volume, { ...opts, centre: at, extentMm: reachMm / 1.5 }, how, true);
  }
  const r = openingRadiusMm(rin);
  // Opening by a ball: erosion keeps the voxels deeper than r, dilation returns everything
  // within r of them (distance maps make any radius cost the same).
  const eroded = new Uint8Array(dense.length);
  for (let v = 0; v < dense.length; v++) eroded[v] = inside[v]! > r ? 1 : 0;
  const toEroded = distanceTo(eroded, box);
  const opened = new Uint8Array(dense.length);
  for (let v = 0; v < dense.length; v++) opened[v] = toEroded[v]! <= r + EPS_MM ? 1 : 0;
  const seedMm = Math.max(3, r * 2);
  const core = componentAt(opened, size, seedNear(opened, box, centre, seedMm));
  if (core) {
    const reach = { mm: REACH_IN_INSCRIBED_RADII * rin, from: [inscribed] };
    const grown = growBack(core, dense, box, 0.6 * r, reach);
    const mask = componentAt(grown, size, seedNear(grown, box, centre, seedMm));
    if (mask) return { origin: lo, size, mask: finish(mask) };
  }
  return plain();
}

/**
 * Below this equivalent diameter (mm) a ground-glass outline is not looked at for a halo: a small
 * nodule's low-level outline runs into the vessel or pleura beside it (inserted 3-6 mm nodules grew
 * by a median of up to 7.7 mm).
 */
export const HALO_MIN_MM = 12;
/**
 * A halo outline is used where the median distance from its surface to the half-way outline is
 * at least this (mm). A uniformly dense nodule's blurred edge gives ~1 mm: inserted ground glass
 * with a half-way outline >= 12 mm (both LIDC scans, default and faint mixes, every margin and
 * site: 79 nodules) at most 1.42 mm; LIDC-IDRI-0002's nodule 2.16-2.76 mm at stage-1 scales of
 * 6-20 mm (training/halo_check.ts).
 */
export const HALO_GROWTH_MM = 1.8;

/**
 * A ground-glass nodule outlined at the half-way level (the edge of a uniformly dense nodule), or,
 * where its haze fades out beyond that edge, where the haze ends. Real ground glass is often
 * densest at its centre and fades over several millimetres, and readers outline all of it:
 * LIDC-IDRI-0002's nodule measured 20.9 x 18.1 mm, 3072 mm^3 at the half-way level against its
 * readers' 28.1-28.5 x 20.1-21.7 mm, 6577-7912 mm^3. So a nodule of at least HALO_MIN_MM is also
 * outlined at the 'halo' level, and that outline is used where it lies HALO_GROWTH_MM or more
 * beyond the half-way one over most of its surface (a median, so that a vessel or the pleura the
 * lower level runs along on one side does not count: inserted nodules grew by up to 4 mm in
 * equivalent diameter that way). A smaller half-way outline may be a denser part of the nodule
 * only, and is outlined again at the level of the ground glass beyond it (beyondDenserPart).
 */
function haloBeyond(volume: Volume, opts: SegmentOptions): MaskRegion {
  const { half, halo } = groundGlassOutlines(volume, opts);
  if (halo !== null) return halo.growthMm >= HALO_GROWTH_MM ? halo.region : half;
  return beyondDenserPart(volume, opts, half) ?? half;
}

/**
 * A small half-way outline of at least DENSER_PART_MIN_MM may be only a denser part of a larger
 * ground-glass nodule: where stage 1's candidate sits on that part with a small scale, the level is
 * read from the part (2-4 mm around the candidate, ground-glass-level.ts) and the ground glass around
 * it lies at or under it. A 20 mm nodule of -650 HU painted into LIDC-IDRI-0001 with an 8 mm part of -450 HU at its
 * side measured 9.3 x 7.8 mm from the part (tests/integration/nodule-outline-lidc.test.ts).
 */
export const DENSER_PART_MIN_MM = 5;
/**
 * The outline at the level of the ground glass beyond that part (hazeBeyond) is used where it lies
 * DENSER_PART_GROWTH_MM or more beyond the part over most of its surface (a median, as
 * HALO_GROWTH_MM). The vessels and the pleura beside inserted uniformly dense ground glass
 * (LIDC-IDRI-0001 and -0002, seeds 1-12 and faint 201-206, true centres) grew outlines of 5 mm or
 * more by a median of at most 1.99 mm; the painted denser parts (5.7-9.3 mm, 16-20 mm nodules of
 * -700..-600 HU) by 2.5-7.1 mm. Painted nodules made after the choice, on seven other sites of both
 * scans (training/denser_part_check.ts), outlined from their denser part: mean diameter error
 * 4.21 -> 1.56 mm, under by more than 30% in 62 -> 10 of 168 readings.
 */
export const DENSER_PART_GROWTH_MM = 2.25;

function beyondDenserPart(volume: Volume, opts: SegmentOptions, part: MaskRegion): MaskRegion | null {
  if (eqDiameterMm(part, volume.spacingMm) < DENSER_PART_MIN_MM) return null;
  const haze = hazeBeyond(volume, part, opts.inLung);
  if (haze === null) return null;
  const around = outlineAt(volume, opts, { kind: 'haze', hu: haze.hu, own: part });
  return medianGrowthMm(part, around, volume.spacingMm) >= DENSER_PART_GROWTH_MM ? around : null;
}

/**
 * A ground-glass nodule's half-way outline and, where it is at least HALO_MIN_MM, its halo outline
 * with the median distance (mm) from the halo outline's surface to the half-way one
 * (training/halo_check.ts reads these on inserted nodules and LIDC-IDRI-0002's).
 */
export function groundGlassOutlines(
  volume: Volume,
  opts: SegmentOptions,
): { half: MaskRegion; halo: { region: MaskRegion; growthMm: number } | null } {
  const half = outlineAt(volume, opts, { kind: 'ground-glass', edge: 'half' });
  if (eqDiameterMm(half, volume.spacingMm) < HALO_MIN_MM) return { half, halo: null };
  const region = outlineAt(volume, opts, { kind: 'ground-glass', edge: 'halo' });
  return { half, halo: { region, growthMm: medianGrowthMm(half, region, volume.spacingMm) } };
}

/** The diameter (mm) of the sphere with the region's volume. */
function eqDiameterMm(region: MaskRegion, spacing: Vec3): number {
  let count = 0;
  for (let v = 0; v < region.mask.length; v++) count += region.mask[v]!;
  return Math.cbrt((6 * count * spacing[0] * spacing[1] * spacing[2]) / Math.PI);
}

/**
 * The median, over the surface voxels of `outer`, of their distance (mm) to `inner` (the two may
 * lie in different boxes: outlineAt re-centres a large nodule); 0 when `outer` is empty.
 */
function medianGrowthMm(inner: MaskRegion, outer: MaskRegion, spacing: Vec3): number {
  const [ox, oy, oz] = outer.size;
  const innerHere = new Uint8Array(outer.mask.length);
  for (let z = 0; z < oz; z++)
    for (let y = 0; y < oy; y++)
      for (let x = 0; x < ox; x++)
        if (regionHas(inner, [x + outer.origin[0], y + outer.origin[1], z + outer.origin[2]]))
          innerHere[x + y * ox + z * ox * oy] = 1;
  const toInner = distanceTo(innerHere, { size: outer.size, spacing });
  const on = (x: number, y: number, z: number) =>
    x >= 0 && y >= 0 && z >= 0 && x < ox && y < oy && z < oz && outer.mask[x + y * ox + z * ox * oy] === 1;
  const surface: number[] = [];
  for (let z = 0; z < oz; z++)
    for (let y = 0; y < oy; y++)
      for (let x = 0; x < ox; x++) {
        if (!on(x, y, z)) continue;
        const inside =
          on(x - 1, y, z) &&
          on(x + 1, y, z) &&
          on(x, y - 1, z) &&
          on(x, y + 1, z) &&
          on(x, y, z - 1) &&
          on(x, y, z + 1);
        if (!inside) surface.push(toInner[x + y * ox + z * ox * oy]!);
      }
  return surface.length === 0 ? 0 : quantile(surface, 0.5);
}

/** The shell beyond a part-solid outline where its ground glass may continue (mm from the outline). */
const HAZE_SHELL_MM = [2, 4] as const;
/** Ground glass continues where that shell stands this far (HU) above the parenchyma. */
const HAZE_ABOVE_PARENCHYMA_HU = 100;
/**
 * The shell's density is its lower quartile: ground glass fills the shell, a vessel or the pleura
 * only part of it (the median let a 7.5 mm juxtapleural inserted nodule grow to 13.6 mm).
 */
const HAZE_QUANTILE = 0.25;
/**
 * Below this equivalent diameter (mm) a -600 HU outline is a small solid core, whose ground-glass
 * rim may be thinner than the 2-4 mm shell: there the median of the 2-3 mm shell standing
 * SMALL_CORE_HAZE_HU over the parenchyma suffices. (LIDC-IDRI-0001's nodule, 24 mm at -600 HU,
 * has a 2-3 mm shell 85 HU over its parenchyma from its spiculated margin and the vessels around
 * it, inside the range of inserted ground-glass rims: a large outline keeps the stricter rule.)
 */
const SMALL_CORE_MM = 12;
const SMALL_CORE_HAZE_HU = 70;
/** The thin rim's shell (mm beyond the outline). */
const RIM_SHELL_MM = [2, 3] as const;

/**
 * A part-solid nodule's ground glass can be fainter than the -600 HU it is outlined at (real ground
 * glass is often -650 to -750 HU: LIDC-IDRI-0002's nodule averages -670); the outline is then the
 * solid core alone. On the 1 mm-smoothed box: where the shell just beyond the outline still stands
 * over the parenchyma (the aerated-lung histogram's peak) — the 2-4 mm shell's lower quartile by
 * HAZE_ABOVE_PARENCHYMA_HU or, away from vessels and the pleura, its median in most directions by
 * HAZE_AROUND_HU (hazeAroundShare), or, around a small core, the 2-3 mm shell's median by
 * SMALL_CORE_HAZE_HU — the level half-way between the ground glass (the median of the 0-2 mm
 * shell) and the parenchyma (within GROUND_GLASS_LEVEL_RANGE), with which shell showed the ground
 * glass (HazeEvidence 'wide' takes the level only where the wide one did); else null.
 * The ground glass is read next to the outline, not 2-4 mm out: where the rim ends 2-3 mm out,
 * the far shell holds its blurred edge and the level fell to the range's floor (an inserted 29.5 mm
 * nodule with -596 HU ground glass measured 35.8 mm; training/README, session 33).
 * A ground-glass nodule's small half-way outline is read the same way (beyondDenserPart).
 */
function hazeBeyond(
  volume: Volume,
  outline: MaskRegion,
  inLung: SegmentOptions['inLung'],
): { hu: number; wide: boolean; thinRim: boolean } | null {
  const r = readHaze(volume, outline, inLung);
  if (r === null) return null;
  const wide =
    r.farLowerQuartileHu >= r.parenchymaHu + HAZE_ABOVE_PARENCHYMA_HU || r.aroundShare >= HAZE_AROUND_SHARE;
  const thinRim =
    r.eqDiameterMm < SMALL_CORE_MM &&
    r.rimMedianHu !== null &&
    r.rimMedianHu >= r.parenchymaHu + SMALL_CORE_HAZE_HU;
  if (!wide && !thinRim) return null;
  const [min, max] = GROUND_GLASS_LEVEL_RANGE;
  return { hu: Math.min(max, Math.max(min, (r.nextMedianHu + r.parenchymaHu) / 2)), wide, thinRim };
}

/** What hazeBeyond reads around a part-solid outline (smoothed HU). */
export interface HazeReading {
  eqDiameterMm: number;
  /** The aerated-lung histogram's peak beyond the 2-4 mm shell. */
  parenchymaHu: number;
  /** The median of the 0-2 mm shell. */
  nextMedianHu: number;
  /** The lower quartile (HAZE_QUANTILE) of the 2-4 mm shell. */
  farLowerQuartileHu: number;
  /** The median of the thin rim's 2-3 mm shell (null when it holds no lung voxel). */
  rimMedianHu: number | null;
  /** hazeAroundShare of the 2-4 mm shell. */
  aroundShare: number;
}

/**
 * The haze reading around a nodule's -600 HU outline, as segmentCandidate reads it for a
 * part-solid nodule (training/density_check.ts reports it).
 */
export function partSolidHaze(
  volume: Volume,
  opts: Omit<SegmentOptions, 'type' | 'haze'>,
): HazeReading | null {
  const type = 'part-solid';
  return readHaze(
    volume,
    outlineAt(volume, { ...opts, type }, { kind: 'stored', hu: segmentationHu(type) }),
    opts.inLung,
  );
}

/** The haze reading around `outline`; null where the outline is empty or its shells or parenchyma hold no lung voxel. */
function readHaze(volume: Volume, outline: MaskRegion, inLung: SegmentOptions['inLung']): HazeReading | null {
  const { origin: lo, size, mask } = outline;
  const sp = volume.spacingMm;
  const eqDiameter = eqDiameterMm(outline, sp);
  if (eqDiameter === 0) return null;
  const box: Box = { size, spacing: sp };
  const smoothed = smoothedBox(volume, lo, size, GROUND_GLASS_SMOOTHING_MM);
  const toOutline = distanceTo(mask, box);
  const [bx, by] = size;
  const inLungAt = (v: number) =>
    !inLung || inLung(lo[0] + (v % bx), lo[1] + (((v / bx) | 0) % by), lo[2] + ((v / (bx * by)) | 0));
  // The ground glass next to the outline (0-2 mm), the thin rim's shell and the wide haze's (2-4 mm).
  const next: number[] = [];
  const rim: number[] = [];
  const far: number[] = [];
  for (let v = 0; v < mask.length; v++) {
    const d = toOutline[v]!;
    if (d <= 0 || d > HAZE_SHELL_MM[1] || !inLungAt(v)) continue;
    if (d <= HAZE_SHELL_MM[0]) next.push(smoothed[v]!);
    else far.push(smoothed[v]!);
    if (d > RIM_SHELL_MM[0] && d <= RIM_SHELL_MM[1]) rim.push(smoothed[v]!);
  }
  const parenchyma = parenchymaHu(smoothed, (v) => toOutline[v]! > HAZE_SHELL_MM[1] && inLungAt(v));
  if (far.length === 0 || next.length === 0 || parenchyma === null) return null;
  return {
    eqDiameterMm: eqDiameter,
    parenchymaHu: parenchyma,
    nextMedianHu: quantile(next, 0.5),
    farLowerQuartileHu: quantile(far, HAZE_QUANTILE),
    rimMedianHu: rim.length > 0 ? quantile(rim, 0.5) : null,
    aroundShare: hazeAroundShare(volume, outline, { smoothed, toOutline, parenchyma, inLungAt }),
  };
}

/**
 * Faint ground glass all around a large core (inserted lobulated part-solid nodules, -720..-640 HU
 * ground glass around a 10-17 mm core, were called solid at 12-20 mm): beside the vessels and the
 * pleura the 2-4 mm shell's lower quartile stays under HAZE_ABOVE_PARENCHYMA_HU, but away from them
 * it stands HAZE_AROUND_HU over the parenchyma in most directions. The shell's voxels within
 * HAZE_CLEAR_MM of solid tissue that is not the outline's own, or of the lung's edge, are set
 * aside; the rest fall into the 26 compass directions from the outline's centre, and where at
 * least HAZE_AROUND_SHARE of the directions holding HAZE_AROUND_MIN_VOXELS have a median that
 * high, the ground glass is wide. Chosen on training/density_check.ts (seeds 1-12 and 201-206).
 */
const HAZE_CLEAR_MM = 2;
const HAZE_AROUND_HU = 70;
const HAZE_AROUND_SHARE = 0.75;
const HAZE_AROUND_MIN_VOXELS = 5;

/** The 26 compass directions (unit vectors). */
const COMPASS: Vec3[] = [];
for (const a of [-1, 0, 1])
  for (const b of [-1, 0, 1])
    for (const c of [-1, 0, 1]) {
      const n = Math.hypot(a, b, c);
      if (n > 0) COMPASS.push([a / n, b / n, c / n]);
    }

/**
 * The share of the compass directions around `outline` whose clear 2-4 mm shell (HAZE_CLEAR_MM
 * from other solid tissue and from the lung's edge) has a median HAZE_AROUND_HU over the
 * parenchyma, over the directions with at least HAZE_AROUND_MIN_VOXELS such voxels (0 when none).
 */
function hazeAroundShare(
  volume: Volume,
  outline: MaskRegion,
  shell: {
    smoothed: Float32Array;
    toOutline: Float64Array;
    parenchyma: number;
    inLungAt: (v: number) => boolean;
  },
): number {
  const { origin: lo, size, mask } = outline;
  const [bx, by] = size;
  const sp = volume.spacingMm;
  const box: Box = { size, spacing: sp };
  const xyz = (v: number): Vec3 => [v % bx, ((v / bx) | 0) % by, (v / (bx * by)) | 0];
  const centroid: Vec3 = [0, 0, 0];
  let count = 0;
  for (let v = 0; v < mask.length; v++) {
    if (mask[v] !== 1) continue;
    const [a, b, c] = xyz(v);
    centroid[0] += a;
    centroid[1] += b;
    centroid[2] += c;
    count += 1;
  }
  if (count === 0) return 0;
  // Solid tissue that is not the outline's own, and everything outside the lung.
  const inLungBox = (a: number, b: number, c: number) => shell.inLungAt(a + b * bx + c * bx * by);
  const other = attachedStructures(volume, lo, box, inLungBox, outline, centroid);
  for (let v = 0; v < other.length; v++) if (!shell.inLungAt(v)) other[v] = 1;
  const toOther = distanceTo(other, box);
  const byDirection: number[][] = COMPASS.map(() => []);
  for (let v = 0; v < mask.length; v++) {
    const d = shell.toOutline[v]!;
    if (d <= HAZE_SHELL_MM[0] || d > HAZE_SHELL_MM[1] || toOther[v]! <= HAZE_CLEAR_MM) continue;
    const p = xyz(v);
    const off = [0, 1, 2].map((i) => (p[i]! - centroid[i]! / count) * sp[i]!);
    let best = 0;
    let bestDot = -Infinity;
    COMPASS.forEach((u, i) => {
      const dot = off[0]! * u[0] + off[1]! * u[1] + off[2]! * u[2];
      if (dot > bestDot) {
        bestDot = dot;
        best = i;
      }
    });
    byDirection[best]!.push(shell.smoothed[v]!);
  }
  const read = byDirection.filter((values) => values.length >= HAZE_AROUND_MIN_VOXELS);
  if (read.length === 0) return 0;
  const hazy = read.filter((values) => quantile(values, 0.5) >= shell.parenchyma + HAZE_AROUND_HU);
  return hazy.length / read.length;
}

/** Voxels at or above this (HU) are solid tissue: a solid component, a vessel, the pleura. */
export const SOLID_HU = -300;
/** A faint outline leaves this far (mm) from a solid structure that is not the nodule's own. */
const ATTACHED_MARGIN_MM = 0.5;
/**
 * The gaps such a structure leaves inside a nodule close again up to this radius (mm). Small
 * gain, measured: inserted ground glass beside a vessel -1.15 -> -1.06 mm mean equivalent-diameter
 * error, no axis changed; a 3 or 4 mm ball the same.
 */
const CLOSING_MM = 2;
/** A ground-glass outline whose centre is this close (mm) to mostly solid tissue keeps that tissue. */
const OWN_CORE_MM = 2;

/**
 * The solid lung voxels of the box that are not the nodule's own: the vessels and airway walls a
 * faint (smoothed, low-level) outline would otherwise take in with their blur. The nodule's own
 * solid tissue is its -600 HU outline (`own`, a part-solid nodule's haze) or, for a nodule
 * outlined as ground glass, the solid piece its centre sits in when at least half of the voxels
 * within OWN_CORE_MM of it are solid (a solid nodule called ground glass keeps its body).
 * The chest wall is not among them: the lung mask already stops the outline there.
 */
function attachedStructures(
  volume: Volume,
  lo: Vec3,
  box: Box,
  inLungBox: (a: number, b: number, c: number) => boolean,
  own: MaskRegion | null,
  centre: Vec3,
): Uint8Array {
  const [vx, vy] = volume.dims;
  const [bx, by, bz] = box.size;
  const solid = new Uint8Array(bx * by * bz);
  for (let c = 0; c < bz; c++)
    for (let b = 0; b < by; b++)
      for (let a = 0; a < bx; a++) {
        const [i, j, k] = [lo[0] + a, lo[1] + b, lo[2] + c];
        if (
          volume.hu[i + j * vx + k * vx * vy]! < SOLID_HU ||
          !inLungBox(a, b, c) ||
          (own !== null && regionHas(own, [i, j, k]))
        )
          continue;
        solid[a + b * bx + c * bx * by] = 1;
      }
  if (!own) {
    let near = 0;
    let hits = 0;
    forEachNear(box, centre, OWN_CORE_MM, (v) => {
      near += 1;
      hits += solid[v]!;
    });
    const body =
      near > 0 && hits >= near / 2
        ? componentAt(solid, box.size, seedNear(solid, box, centre, OWN_CORE_MM))
        : null;
    if (body) for (let v = 0; v < solid.length; v++) if (body[v] === 1) solid[v] = 0;
  }
  return solid;
}

/**
 * m closed by a ball of CLOSING_MM (dilated, then eroded), keeping only voxels of `allowed`: the
 * nodule's own voxels that an attached structure's margin cut out where it runs through the nodule.
 */
function closedWithin(m: Uint8Array, allowed: Uint8Array, box: Box): Uint8Array {
  const toM = distanceTo(m, box);
  const beyond = new Uint8Array(m.length);
  for (let v = 0; v < m.length; v++) beyond[v] = toM[v]! <= CLOSING_MM + EPS_MM ? 0 : 1;
  const toBeyond = distanceTo(beyond, box);
  const out = m.slice();
  for (let v = 0; v < m.length; v++) if (allowed[v] === 1 && toBeyond[v]! > CLOSING_MM + EPS_MM) out[v] = 1;
  return out;
}

/** From voxel v, steps to the 26-neighbour deepest inside until none is deeper: a local maximum. */
function climbDistanceMap(inside: Float64Array, size: Vec3, v: number): number {
  const [bx, by, bz] = size;
  for (;;) {
    const a = v % bx;
    const b = ((v / bx) | 0) % by;
    const c = (v / (bx * by)) | 0;
    let best = v;
    for (let dc = -1; dc <= 1; dc++)
      for (let db = -1; db <= 1; db++)
        for (let da = -1; da <= 1; da++) {
          const [x, y, z] = [a + da, b + db, c + dc];
          if (x < 0 || y < 0 || z < 0 || x >= bx || y >= by || z >= bz) continue;
          const u = x + y * bx + z * bx * by;
          if (inside[u]! > inside[best]!) best = u;
        }
    if (best === v) return v;
    v = best;
  }
}

/** The dense voxels within byMm of the core and within reach.mm of one of reach.from. */
function growBack(
  core: Uint8Array,
  dense: Uint8Array,
  box: Box,
  byMm: number,
  reach: { mm: number; from: Vec3[] },
): Uint8Array {
  const [bx, by, bz] = box.size;
  const toCore = distanceTo(core, box);
  const grown = new Uint8Array(dense.length);
  for (let c = 0; c < bz; c++)
    for (let b = 0; b < by; b++)
      for (let a = 0; a < bx; a++) {
        const v = a + b * bx + c * bx * by;
        if (dense[v] !== 1 || toCore[v]! > byMm + EPS_MM) continue;
        const p: Vec3 = [a, b, c];
        if (reach.from.every((q) => mmBetween(p, q, box.spacing) > reach.mm)) continue;
        grown[v] = 1;
      }
  return grown;
}

/** Distances equal up to rounding count as equal (a ball's rim voxels belong to it). */
const EPS_MM = 1e-6;

interface Box {
  size: Vec3;
  spacing: Vec3;
}

function mmBetween(p: Vec3, q: Vec3, spacing: Vec3): number {
  return Math.hypot((p[0] - q[0]) * spacing[0], (p[1] - q[1]) * spacing[1], (p[2] - q[2]) * spacing[2]);
}

/** Calls fn for every box voxel within maxMm of the centre, with its squared distance (mm^2). */
function forEachNear(
  { size, spacing }: Box,
  centre: Vec3,
  maxMm: number,
  fn: (v: number, d2: number) => void,
): void {
  const [bx, by, bz] = size;
  const [sx, sy, sz] = spacing;
  const lim = [Math.ceil(maxMm / sx), Math.ceil(maxMm / sy), Math.ceil(maxMm / sz)];
  for (
    let c = Math.max(0, Math.floor(centre[2] - lim[2]!));
    c <= Math.min(bz - 1, Math.ceil(centre[2] + lim[2]!));
    c++
  )
    for (
      let b = Math.max(0, Math.floor(centre[1] - lim[1]!));
      b <= Math.min(by - 1, Math.ceil(centre[1] + lim[1]!));
      b++
    )
      for (
        let a = Math.max(0, Math.floor(centre[0] - lim[0]!));
        a <= Math.min(bx - 1, Math.ceil(centre[0] + lim[0]!));
        a++
      ) {
        const d = ((a - centre[0]) * sx) ** 2 + ((b - centre[1]) * sy) ** 2 + ((c - centre[2]) * sz) ** 2;
        if (d <= maxMm * maxMm) fn(a + b * bx + c * bx * by, d);
      }
}

/** Euclidean distance (mm) from every voxel to the nearest voxel of m (Infinity when m is empty). */
function distanceTo(m: Uint8Array, box: Box): Float64Array {
  const d2 = squaredDistance(m, box, 1);
  for (let v = 0; v < d2.length; v++) d2[v] = Math.sqrt(d2[v]!);
  return d2;
}

/**
 * Distance (mm) from every voxel of m to the nearest voxel off it, where everything outside the
 * box is off; 0 off m.
 */
function distanceToOutside(m: Uint8Array, box: Box): Float64Array {
  const d2 = squaredDistance(m, box, 0);
  const [bx, by, bz] = box.size;
  const [sx, sy, sz] = box.spacing;
  for (let c = 0; c < bz; c++)
    for (let b = 0; b < by; b++)
      for (let a = 0; a < bx; a++) {
        const v = a + b * bx + c * bx * by;
        const face = Math.min(
          Math.min(a + 1, bx - a) * sx,
          Math.min(b + 1, by - b) * sy,
          Math.min(c + 1, bz - c) * sz,
        );
        d2[v] = Math.sqrt(Math.min(d2[v]!, face * face));
      }
  return d2;
}

/**
 * Squared Euclidean distance (mm^2) from every voxel to the nearest voxel whose m equals target
 * (Infinity when none does): the exact separable transform, along rows, columns and pillars.
 */
function squaredDistance(m: Uint8Array, { size, spacing }: Box, target: 0 | 1): Float64Array {
  const [bx, by, bz] = size;
  const d = new Float64Array(m.length);
  for (let v = 0; v < m.length; v++) d[v] = m[v] === target ? 0 : Infinity;
  const line = lineScratch(Math.max(bx, by, bz));
  const pass = (len: number, stride: number, starts: number[], s: number) => {
    for (const start of starts) {
      for (let i = 0; i < len; i++) line.f[i] = d[start + i * stride]!;
      squaredDistanceLine(line, len, s);
      for (let i = 0; i < len; i++) d[start + i * stride] = line.out[i]!;
    }
  };
  const rows: number[] = [];
  for (let c = 0; c < bz; c++) for (let b = 0; b < by; b++) rows.push(b * bx + c * bx * by);
  pass(bx, 1, rows, spacing[0]);
  const cols: number[] = [];
  for (let c = 0; c < bz; c++) for (let a = 0; a < bx; a++) cols.push(a + c * bx * by);
  pass(by, bx, cols, spacing[1]);
  const pillars: number[] = [];
  for (let b = 0; b < by; b++) for (let a = 0; a < bx; a++) pillars.push(a + b * bx);
  pass(bz, bx * by, pillars, spacing[2]);
  return d;
}

/** The mask voxel nearest the centre within maxMm, or -1 (the last of equals in scan order). */
function seedNear(m: Uint8Array, box: Box, centre: Vec3, maxMm: number): number {
  let best = -1;
  let bestD = Infinity;
  forEachNear(box, centre, maxMm, (v, d2) => {
    if (m[v] === 1 && d2 <= bestD) {
      bestD = d2;
      best = v;
    }
  });
  return best;
}

/** The 6-connected component of m holding `seed`, or null when there is no seed. */
function componentAt(m: Uint8Array, size: Vec3, seed: number): Uint8Array | null {
  if (seed < 0 || m[seed] !== 1) return null;
  const [bx, by, bz] = size;
  const bplane = bx * by;
  const out = new Uint8Array(m.length);
  const stack = new Int32Array(m.length);
  let top = 0;
  stack[top++] = seed;
  out[seed] = 1;
  while (top > 0) {
    const v = stack[--top]!;
    const c = (v / bplane) | 0;
    const rest = v - c * bplane;
    const b = (rest / bx) | 0;
    const a = rest - b * bx;
    const visit = (w: number) => {
      if (m[w] === 1 && out[w] === 0) {
        out[w] = 1;
        stack[top++] = w;
      }
    };
    if (a > 0) visit(v - 1);
    if (a < bx - 1) visit(v + 1);
    if (b > 0) visit(v - bx);
    if (b < by - 1) visit(v + bx);
    if (c > 0) visit(v - bplane);
    if (c < bz - 1) visit(v + bplane);
  }
  return out;
}
