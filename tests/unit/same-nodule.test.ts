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
    voxels: function* (): Generator<Vec3> {
      const r = Math.ceil(meanDiameterMm / 2);
      for (let k = centre[2] - r; k <= centre[2] + r; k++)
        for (let j = centre[1] - r; j <= centre[1] + r; j++)
          for (let i = centre[0] - r; i <= centre[0] + r; i++)
            if (Math.hypot(i - centre[0], j - centre[1], k - centre[2]) <= meanDiameterMm / 2)
              yield [i, j, k];
    },
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

  it('shows a part-solid nodule whole where candidates around its middle outlined parts of it as ground glass', () => {
    // An inserted 18.2 mm spiculated part-solid nodule (fresh faint seed 219): four candidates
    // within 5 mm of its middle outlined 11-13 mm of ground glass each, 6-9 mm apart, and a weaker
    // one the whole nodule as part-solid, 20.8 mm. It was listed four times at 11-13 mm.
    const a = ball('a', [50, 54.5, 50], 11.6, 0.999);
    const b = ball('b', [50, 45.5, 50], 12.4, 0.998);
    const c = ball('c', [54.5, 50, 50], 11.9, 0.996);
    const d = ball('d', [45.5, 50, 50], 11.2, 0.969);
    const whole = ball('whole', [50, 50, 50], 20.8, 0.95, 'part-solid');
    expect(names(mergeSameNodule([a, b, c, d], [1, 1, 1]))).toHaveLength(4);
    expect(names(mergeSameNodule([a, b, c, whole, d], [1, 1, 1]))).toEqual(['a:whole']);
  });

  it('keeps a smaller part-solid outline, or one holding only part of the ground glass, as it was', () => {
    const gg = ball('gg', [50, 50, 50], 14, 0.99);
    // A part-solid outline inside the ground glass (its core) does not replace it.
    expect(names(mergeSameNodule([gg, ball('core', [51, 50, 50], 8, 0.9, 'part-solid')], [1, 1, 1]))).toEqual(
      ['gg:gg'],
    );
    // A larger part-solid outline beside it, holding half of it, is merged by distance but not shown.
    expect(
      names(mergeSameNodule([gg, ball('beside', [56, 50, 50], 16, 0.9, 'part-solid')], [1, 1, 1])),
    ).toEqual(['gg:gg']);
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
