import { describe, expect, it } from 'vitest';
import type { Vec3 } from '../../src/common/volume';
import { mergeSameNodule, type OutlinedCandidate } from '../../src/core/inference/same-nodule';

/** A spherical outline of meanDiameterMm around centre on a 1 mm grid. */
const ball = (name: string, centre: Vec3, meanDiameterMm: number, score: number, type = 'ground-glass') =>
  ({
    name,
    centre,
    score,
    ch: { type },
    m: { meanDiameterMm },
    covers: (v: Vec3) =>
      Math.hypot(v[0] - centre[0], v[1] - centre[1], v[2] - centre[2]) <= meanDiameterMm / 2,
  }) satisfies OutlinedCandidate & { name: string };
const names = (r: ReturnType<typeof mergeSameNodule<ReturnType<typeof ball>>>) =>
  r.map((k) => `${k.strongest.name}:${k.outlineOf.name}`);

describe('mergeSameNodule', () => {
  it('drops a weaker candidate inside a stronger one', () => {
    const r = mergeSameNodule(
      [ball('a', [50, 50, 50], 20, 0.99), ball('b', [55, 50, 50], 8, 0.95)],
      [1, 1, 1],
    );
    expect(names(r)).toEqual(['a:a']);
  });

  it('shows a large nodule once, at its full outline, where a candidate at its edge scored higher', () => {
    // The 29.3 mm inserted ground-glass nodule of seed 209: an edge candidate outlined 9.2 mm at
    // p 0.995, the middle one 32.4 mm at p 0.991, 11 mm apart.
    const edge = ball('edge', [61, 50, 50], 9.2, 0.995);
    const middle = ball('middle', [50, 50, 50], 32.4, 0.991);
    const r = mergeSameNodule([edge, middle], [1, 1, 1]);
    expect(names(r)).toEqual(['edge:middle']);
    // A later candidate inside the full outline joins it too.
    expect(names(mergeSameNodule([edge, middle, ball('c', [42, 50, 50], 6, 0.9)], [1, 1, 1]))).toEqual([
      'edge:middle',
    ]);
  });

  it('keeps nodules apart that only touch, or whose larger outline is of another type', () => {
    const a = ball('a', [50, 50, 50], 8, 0.99);
    expect(names(mergeSameNodule([a, ball('b', [62, 50, 50], 10, 0.9)], [1, 1, 1]))).toEqual(['a:a', 'b:b']);
    // A solid nodule beside a larger part-solid outline that reaches it stays its own finding.
    expect(
      names(
        mergeSameNodule(
          [ball('s', [50, 50, 50], 6, 0.99, 'solid'), ball('p', [58, 50, 50], 20, 0.9, 'part-solid')],
          [1, 1, 1],
        ),
      ),
    ).toEqual(['s:s', 'p:p']);
  });

  it('measures distance in mm on anisotropic voxels', () => {
    // 4 slices of 2.5 mm apart: 10 mm, beyond a 12 mm outline's 6 mm radius.
    const r = mergeSameNodule(
      [ball('a', [50, 50, 50], 12, 0.99), ball('b', [50, 50, 54], 5, 0.9)],
      [0.7, 0.7, 2.5],
    );
    expect(r).toHaveLength(2);
  });
});
