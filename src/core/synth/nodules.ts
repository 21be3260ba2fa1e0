/**
 * Synthetic nodules: what they are (type, size, margin, location), where they go, and how they
 * are drawn. The ground truth written for each is the centre and nominal diameter that LUNA16
 * annotations would give.
 */
import type { Vec3 } from '../../common/volume';
import { lungAt, type ChestAnatomy } from './anatomy';
import { boxFor, rasterize, segmentDistance, type WorldGrid } from './grid';
import type { Rng } from './prng';
import type { NoduleType } from '../../common/findings/findings-document';
import type { TubeSegment } from './trees';
import { add, DIRECTIONS_26, dot, norm, randomPerpendicular, randomUnit, scale, sub } from './vec';

export const NODULE_TYPES = ['solid', 'part-solid', 'ground-glass'] as const satisfies readonly NoduleType[];
export const NODULE_MARGINS = ['round', 'lobulated', 'spiculated'] as const;
export type NoduleMargin = (typeof NODULE_MARGINS)[number];
export const NODULE_LOCATIONS = ['free', 'juxtavascular', 'juxtapleural'] as const;
export type NoduleLocation = (typeof NODULE_LOCATIONS)[number];

interface Lobe {
  offset: Vec3;
  r: number;
}

interface Spicule {
  dir: Vec3;
  length: number;
  r0: number;
}

export interface NoduleShape {
  type: NoduleType;
  margin: NoduleMargin;
  location: NoduleLocation;
  diameterMm: number;
  /** Solid-core diameter for part-solid nodules, else null. */
  solidCoreMm: number | null;
  /** HU of the solid component (solid and part-solid) and of the ground-glass component. */
  solidHu: number;
  ggoHu: number;
  lobes: Lobe[];
  spicules: Spicule[];
  /** Low-frequency texture of ground glass: wave vector (rad/mm) and phase. */
  texture: { k: Vec3; phase: number };
}

export interface PlacedNodule extends NoduleShape {
  centre: Vec3;
  lung: number;
}

export interface NoduleRequest {
  type?: NoduleType;
  margin?: NoduleMargin;
  location?: NoduleLocation;
  diameterMm?: number;
}

function sampleDiameter(rng: Rng): number {
  // Log-uniform from 3 to 30 mm: small nodules dominate screening, large ones still occur.
  return Math.round(Math.exp(rng.uniform(Math.log(3), Math.log(30))) * 10) / 10;
}

export function sampleShape(rng: Rng, req: NoduleRequest = {}): NoduleShape {
  const diameterMm = req.diameterMm ?? sampleDiameter(rng);
  let type: NoduleType =
    req.type ?? (rng.next() < 0.5 ? 'solid' : rng.next() < 0.5 ? 'part-solid' : 'ground-glass');
  // A part-solid nodule needs room for a core inside its ground-glass rim.
  if (type === 'part-solid' && diameterMm < 6 && req.type === undefined) type = 'solid';
  let margin: NoduleMargin = req.margin ?? rng.pick(NODULE_MARGINS);
  if (margin === 'spiculated' && (diameterMm < 6 || type === 'ground-glass') && req.margin === undefined) {
    margin = 'lobulated';
  }
  const location: NoduleLocation = req.location ?? rng.pick(NODULE_LOCATIONS);
  const R = diameterMm / 2;
  const lobes: Lobe[] = [{ offset: [0, 0, 0], r: R }];
  if (margin === 'lobulated' || (margin === 'spiculated' && rng.next() < 0.5)) {
    lobes[0] = { offset: [0, 0, 0], r: R * 0.82 };
    const n = rng.int(3, 5);
    for (let l = 0; l < n; l++) {
      const d = randomUnit(rng);
      lobes.push({ offset: scale(d, R * rng.uniform(0.3, 0.45)), r: R * rng.uniform(0.5, 0.62) });
    }
  }
  const spicules: Spicule[] = [];
  if (margin === 'spiculated') {
    const n = rng.int(7, 14);
    for (let s = 0; s < n; s++) {
      spicules.push({
        dir: randomUnit(rng),
        length: R * rng.uniform(1.4, 2.2) + 2,
        r0: Math.min(1.4, Math.max(0.5, R * rng.uniform(0.08, 0.14))),
      });
    }
  }
  const solidCoreMm = type === 'part-solid' ? Math.round(diameterMm * rng.uniform(0.3, 0.6) * 10) / 10 : null;
  const texture = { k: scale(randomUnit(rng), rng.uniform(0.4, 0.9)), phase: rng.uniform(0, 2 * Math.PI) };
  return {
    type,
    margin,
    location,
    diameterMm,
    solidCoreMm,
    solidHu: rng.uniform(10, 60),
    ggoHu: type === 'ground-glass' ? rng.uniform(-650, -400) : rng.uniform(-600, -450),
    lobes,
    spicules,
    texture,
  };
}

/** Distance (mm) from p to where the lung ends along `dir`, up to `max`. */
function exitDistance(a: ChestAnatomy, p: Vec3, dir: Vec3, max: number): number {
  for (let t = 0.5; t <= max; t += 0.5) {
    if (lungAt(a, p[0] + dir[0] * t, p[1] + dir[1] * t, p[2] + dir[2] * t) < 0) return t;
  }
  return max;
}

/** True when the ball of radius r around p lies inside one lung. */
function ballInLung(a: ChestAnatomy, p: Vec3, r: number): boolean {
  const lung = lungAt(a, p[0], p[1], p[2]);
  if (lung < 0) return false;
  return DIRECTIONS_26.every((d) => lungAt(a, p[0] + d[0] * r, p[1] + d[1] * r, p[2] + d[2] * r) === lung);
}

function vesselClearance(segs: readonly TubeSegment[], p: Vec3, minRadius: number): number {
  let best = Infinity;
  for (const s of segs) {
    if (s.ra < minRadius) continue;
    const ab = sub(s.b, s.a);
    const { d, t } = segmentDistance(p[0], p[1], p[2], s.a, ab, dot(ab, ab));
    best = Math.min(best, d - (s.ra + t * (s.rb - s.ra)));
  }
  return best;
}

export interface PlacementBounds {
  lo: Vec3;
  hi: Vec3;
}

/**
 * Finds a centre for the nodule that satisfies its location class; returns null after a bounded
 * number of attempts (the caller then draws another nodule).
 */
export function placeNodule(
  a: ChestAnatomy,
  segs: readonly TubeSegment[],
  shape: NoduleShape,
  others: readonly PlacedNodule[],
  bounds: PlacementBounds,
  rng: Rng,
): PlacedNodule | null {
  const R = shape.diameterMm / 2;
  const inBounds = (p: Vec3): boolean =>
    p.every((v, ax) => v - R - 4 >= bounds.lo[ax as 0 | 1 | 2] && v + R + 4 <= bounds.hi[ax as 0 | 1 | 2]);
  const clearOfOthers = (p: Vec3): boolean =>
    others.every((o) => norm(sub(o.centre, p)) > R + o.diameterMm / 2 + 6);
  const vessels = segs.filter((s) => s.kind === 'vessel' && s.lung >= 0 && s.ra >= 1 && s.ra <= 4);
  for (let attempt = 0; attempt < 400; attempt++) {
    let p: Vec3;
    if (shape.location === 'juxtavascular') {
      if (vessels.length === 0) return null;
      const s = rng.pick(vessels);
      const t = rng.uniform(0.2, 0.8);
      const axis = sub(s.b, s.a);
      const onAxis = add(s.a, scale(axis, t));
      const r = s.ra + t * (s.rb - s.ra);
      p = add(onAxis, scale(randomPerpendicular(axis, rng), r + R * 0.75));
      if (!ballInLung(a, p, R + 1.5)) continue;
    } else {
      p = [
        rng.uniform(bounds.lo[0], bounds.hi[0]),
        rng.uniform(bounds.lo[1], bounds.hi[1]),
        rng.uniform(bounds.lo[2], bounds.hi[2]),
      ];
      if (lungAt(a, p[0], p[1], p[2]) < 0) continue;
      if (shape.location === 'juxtapleural') {
        // Move the centre so the nodule abuts the pleura along the nearest wall direction.
        let best = Infinity;
        let bestDir: Vec3 = [1, 0, 0];
        for (const d of DIRECTIONS_26) {
          const e = exitDistance(a, p, d, 60);
          if (e < best) {
            best = e;
            bestDir = d;
          }
        }
        if (best >= 60) continue;
        p = add(p, scale(bestDir, best - R * 0.8));
        if (lungAt(a, p[0], p[1], p[2]) < 0) continue;
        // Most of the nodule must still be in lung, or it is a chest-wall mass, not a nodule.
        if (!ballInLung(a, add(p, scale(bestDir, -R * 0.3)), R * 0.6)) continue;
      } else {
        if (!ballInLung(a, p, R + 3)) continue;
        if (vesselClearance(segs, p, 1.2) < R + 1) continue;
      }
    }
    if (!inBounds(p) || !clearOfOthers(p)) continue;
    return { ...shape, centre: p, lung: lungAt(a, p[0], p[1], p[2]) };
  }
  return null;
}

function bodyDistance(n: PlacedNodule, x: number, y: number, z: number): number {
  let d = Infinity;
  for (const l of n.lobes) {
    const dx = x - n.centre[0] - l.offset[0];
    const dy = y - n.centre[1] - l.offset[1];
    const dz = z - n.centre[2] - l.offset[2];
    d = Math.min(d, Math.sqrt(dx * dx + dy * dy + dz * dz) - l.r);
  }
  return d;
}

function spiculeDistance(n: PlacedNodule, x: number, y: number, z: number): number {
  let d = Infinity;
  const R = n.diameterMm / 2;
  for (const s of n.spicules) {
    const a = add(n.centre, scale(s.dir, R * 0.5));
    const ab = scale(s.dir, s.length - R * 0.5);
    const { d: dist, t } = segmentDistance(x, y, z, a, ab, dot(ab, ab));
    d = Math.min(d, dist - (s.r0 + t * (0.2 - s.r0)));
  }
  return d;
}

/** Draws the nodule into the grid with partial-volume edges. */
export function drawNodule(g: WorldGrid, n: PlacedNodule): void {
  const R = n.diameterMm / 2;
  const reach = Math.max(R * 1.3, ...n.spicules.map((s) => s.length + 2)) + 2;
  const box = boxFor(g, add(n.centre, [-reach, -reach, -reach]), add(n.centre, [reach, reach, reach]));
  if (!box) return;
  const tex = (x: number, y: number, z: number): number =>
    Math.cos(n.texture.k[0] * x + n.texture.k[1] * y + n.texture.k[2] * z + n.texture.phase);
  if (n.type === 'solid') {
    rasterize(
      g,
      box,
      0.9,
      'max',
      (x, y, z) => bodyDistance(n, x, y, z),
      (x, y, z) => n.solidHu + 15 * tex(x, y, z),
    );
  } else {
    // Ground glass has soft, hazy edges.
    rasterize(
      g,
      box,
      1.8,
      'max',
      (x, y, z) => bodyDistance(n, x, y, z),
      (x, y, z) => n.ggoHu + 60 * tex(x, y, z),
    );
    if (n.type === 'part-solid' && n.solidCoreMm) {
      const rc = n.solidCoreMm / 2;
      rasterize(
        g,
        box,
        0.9,
        'max',
        (x, y, z) => Math.hypot(x - n.centre[0], y - n.centre[1], z - n.centre[2]) - rc,
        () => n.solidHu,
      );
    }
  }
  if (n.spicules.length > 0) {
    const hu = n.type === 'ground-glass' ? n.ggoHu : n.solidHu - 40;
    rasterize(
      g,
      box,
      0.7,
      'max',
      (x, y, z) => spiculeDistance(n, x, y, z),
      () => hu,
    );
  }
}
