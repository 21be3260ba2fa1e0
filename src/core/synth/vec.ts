import type { Vec3 } from '../../common/volume';
import type { Rng } from './prng';

export const add = (a: Vec3, b: Vec3): Vec3 => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
export const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
export const scale = (a: Vec3, s: number): Vec3 => [a[0] * s, a[1] * s, a[2] * s];
export const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
export const norm = (a: Vec3): number => Math.sqrt(dot(a, a));
export const cross = (a: Vec3, b: Vec3): Vec3 => [
  a[1] * b[2] - a[2] * b[1],
  a[2] * b[0] - a[0] * b[2],
  a[0] * b[1] - a[1] * b[0],
];
export function normalize(a: Vec3): Vec3 {
  const n = norm(a);
  return n > 0 ? scale(a, 1 / n) : [0, 0, 1];
}

export function randomUnit(rng: Rng): Vec3 {
  for (;;) {
    const v: Vec3 = [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)];
    const n = norm(v);
    if (n > 0.05 && n <= 1) return scale(v, 1 / n);
  }
}

/** A unit vector perpendicular to `d` (d need not be normalised). */
export function randomPerpendicular(d: Vec3, rng: Rng): Vec3 {
  for (;;) {
    const c = cross(d, randomUnit(rng));
    if (norm(c) > 1e-3) return normalize(c);
  }
}

/** Rotates unit vector d by `angle` towards a random perpendicular direction. */
export function deflect(d: Vec3, angle: number, perp: Vec3): Vec3 {
  return normalize(add(scale(d, Math.cos(angle)), scale(perp, Math.sin(angle))));
}

/** The 26 neighbour directions of a voxel, normalised: used to probe distances to a boundary. */
export const DIRECTIONS_26: readonly Vec3[] = (() => {
  const out: Vec3[] = [];
  for (let z = -1; z <= 1; z++)
    for (let y = -1; y <= 1; y++)
      for (let x = -1; x <= 1; x++) if (x || y || z) out.push(normalize([x, y, z]));
  return out;
})();
