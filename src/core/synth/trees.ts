/**
 * Airway and vessel trees as tapered tube segments. Trees grow from the hila towards the lung
 * periphery by dichotomous branching (radii following Murray's law), and stop at the pleura.
 */
import type { Vec3 } from '../../common/volume';
import { lungAt, type ChestAnatomy } from './anatomy';
import type { Rng } from './prng';
import { add, deflect, normalize, randomPerpendicular, scale, sub } from './vec';

export interface TubeSegment {
  a: Vec3;
  b: Vec3;
  /** Radius at a and at b, mm. */
  ra: number;
  rb: number;
  kind: 'vessel' | 'airway';
  /** Lung index the segment ends in (0 right, 1 left), -1 for central airways. */
  lung: number;
}

interface Root {
  p: Vec3;
  dir: Vec3;
  r: number;
}

function grow(
  anatomy: ChestAnatomy,
  rng: Rng,
  root: Root,
  kind: TubeSegment['kind'],
  minRadius: number,
  out: TubeSegment[],
): void {
  const hilum = root.p;
  const stack: { p: Vec3; dir: Vec3; r: number; depth: number }[] = [{ ...root, depth: 0 }];
  while (stack.length > 0) {
    const cur = stack.pop()!;
    const len = cur.r * rng.uniform(kind === 'airway' ? 5 : 4, kind === 'airway' ? 8 : 7) + 3;
    let dir = cur.dir;
    let end = add(cur.p, scale(dir, len));
    let lung = lungAt(anatomy, end[0], end[1], end[2]);
    // At the pleura a branch turns back into the lung instead of ending the whole subtree.
    for (let tryTurn = 0; lung < 0 && tryTurn < 4; tryTurn++) {
      dir = deflect(cur.dir, rng.uniform(0.6, 1.6), randomPerpendicular(cur.dir, rng));
      end = add(cur.p, scale(dir, len * 0.6));
      lung = lungAt(anatomy, end[0], end[1], end[2]);
    }
    if (lung < 0) {
      if (cur.depth > 1) continue;
      // Near the hilum the path may cross mediastinum: keep going.
      dir = cur.dir;
      end = add(cur.p, scale(dir, len));
    }
    const rb = cur.r * 0.93;
    out.push({ a: cur.p, b: end, ra: cur.r, rb, kind, lung });
    if (out.length > 20000) return;
    // Branches bend outwards from the hilum so the trees fill the lung rather than curl back.
    const outward = normalize(sub(end, hilum));
    const base = normalize(add(dir, scale(outward, 0.35)));
    const perp = randomPerpendicular(base, rng);
    // Murray's law r0^3 = r1^3 + r2^3; unequal splits give the long tapering trunks of real trees.
    const split = rng.uniform(0.5, 0.85);
    const r1 = rb * Math.cbrt(split);
    const r2 = rb * Math.cbrt(1 - split);
    const children: [number, number][] = [
      [r1, rng.uniform(0.1, 0.35)],
      [r2, -rng.uniform(0.5, 0.9)],
    ];
    for (const [r, angle] of children) {
      if (r < minRadius) continue;
      stack.push({ p: end, dir: deflect(base, angle, perp), r, depth: cur.depth + 1 });
    }
  }
}

/** Trachea, main bronchi and lobar airway trees; then pulmonary vessel trees from each hilum. */
export function buildTrees(anatomy: ChestAnatomy, rng: Rng, zTop: number): TubeSegment[] {
  const segs: TubeSegment[] = [];
  const [rl, ll] = anatomy.lungs;
  const carina: Vec3 = [0, 0, rl.zBase + 0.62 * (rl.zApex - rl.zBase)];
  const rHilum: Vec3 = [rl.cx * 0.55, 8, carina[2] - 22];
  const lHilum: Vec3 = [ll.cx * 0.55, 10, carina[2] - 28];
  segs.push({
    a: [0, -4, Math.max(zTop + 20, carina[2] + 40)],
    b: carina,
    ra: 8.5,
    rb: 8,
    kind: 'airway',
    lung: -1,
  });
  segs.push({ a: carina, b: rHilum, ra: 6.5, rb: 5.5, kind: 'airway', lung: -1 });
  segs.push({ a: carina, b: lHilum, ra: 6, rb: 5, kind: 'airway', lung: -1 });

  const lobeDirs = (side: number): Vec3[] => [
    normalize([side * 0.6, -0.1, 1]),
    normalize([side * 0.8, -0.7, -0.3]),
    normalize([side * 0.5, 0.6, -1]),
    normalize([side * 0.7, 0.2, -0.5]),
  ];
  const hila: [Vec3, number][] = [
    [rHilum, -1],
    [lHilum, 1],
  ];
  for (const [hilum, side] of hila) {
    for (const dir of lobeDirs(side)) {
      grow(anatomy, rng, { p: hilum, dir, r: 3.6 }, 'airway', 0.9, segs);
      // Arteries run beside the bronchi, veins between them: both are vessels here.
      const off = randomPerpendicular(dir, rng);
      grow(anatomy, rng, { p: add(hilum, scale(off, 7)), dir, r: 5.5 }, 'vessel', 0.4, segs);
      const vdir = normalize(add(dir, scale(randomPerpendicular(dir, rng), 0.5)));
      grow(anatomy, rng, { p: add(hilum, [0, 12, -12]), dir: vdir, r: 4.5 }, 'vessel', 0.4, segs);
    }
  }
  return segs;
}
