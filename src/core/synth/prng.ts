/**
 * Seeded pseudo-random numbers. The phantom must be bit-identical for a given seed on every
 * platform, so nothing here touches Math.random or platform-dependent maths beyond IEEE doubles.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  uniform(lo: number, hi: number): number;
  int(lo: number, hiInclusive: number): number;
  /** Approximately standard normal (Irwin-Hall of 4 uniforms): fast and bounded, enough for noise. */
  normal(): number;
  pick<T>(items: readonly T[]): T;
  /** A child stream, so adding draws in one part of the phantom does not shift every other part. */
  fork(label: string): Rng;
}

/** 32-bit string hash (FNV-1a), used to derive independent child seeds. */
function hashString(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const SQRT3 = Math.sqrt(3);

/** sfc32 with a splitmix-style seeding: small state, good statistics, fast in JS. */
export function createRng(seed: number): Rng {
  let s0 = 0x9e3779b9 ^ seed;
  let s1 = 0x243f6a88 + Math.imul(seed, 0x85ebca6b);
  let s2 = 0xb7e15162 ^ Math.imul(seed, 0xc2b2ae35);
  let s3 = 1;
  const raw = (): number => {
    s0 >>>= 0;
    s1 >>>= 0;
    s2 >>>= 0;
    s3 >>>= 0;
    let t = (s0 + s1) | 0;
    s0 = s1 ^ (s1 >>> 9);
    s1 = (s2 + (s2 << 3)) | 0;
    s2 = (s2 << 21) | (s2 >>> 11);
    s3 = (s3 + 1) | 0;
    t = (t + s3) | 0;
    s2 = (s2 + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 15; i++) raw();
  const rng: Rng = {
    next: raw,
    uniform: (lo, hi) => lo + (hi - lo) * raw(),
    int: (lo, hi) => lo + Math.floor(raw() * (hi - lo + 1)),
    normal: () => (raw() + raw() + raw() + raw() - 2) * SQRT3,
    pick: <T>(items: readonly T[]): T => {
      const item = items[Math.floor(raw() * items.length)];
      if (item === undefined) throw new RangeError('pick from an empty list');
      return item;
    },
    fork: (label) => createRng(hashString(label, (raw() * 4294967296) >>> 0)),
  };
  return rng;
}
