import { describe, expect, it } from 'vitest';
import type { Vec3, VolumeGeometry } from '../../src/common/volume';
import { voxelToWorld } from '../../src/common/volume';
import { largestShiftMm, sliceShifts, untilt } from '../../src/core/dicom/gantry-tilt';

const geometry = (origin: Vec3): Pick<VolumeGeometry, 'originLps' | 'direction' | 'spacingMm'> => ({
  originLps: origin,
  direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
  spacingMm: [0.5, 0.5, 2],
});

describe('gantry tilt', () => {
  it('lists only the slices whose image sits off the orthogonal grid, in pixels', () => {
    const g = geometry([10, 20, 30]);
    const shifts = sliceShifts(
      [
        { slot: 0, positionLps: [10, 20, 30] },
        { slot: 1, positionLps: [10.001, 20.5, 32] },
        { slot: 2, positionLps: [10, 21, 34] },
      ],
      g,
    );
    // Slot 1 moves by a micron along i (scanner jitter, ignored) and one pixel along j.
    expect(shifts.map((s) => s.slot)).toEqual([1, 2]);
    expect(shifts[0]!.j).toBeCloseTo(1, 9);
    expect(shifts[1]!.j).toBeCloseTo(2, 9);
    expect(largestShiftMm(shifts, g.spacingMm)).toBeCloseTo(1, 9);
    expect(sliceShifts([{ slot: 0, positionLps: [10, 20, 30] }], g)).toEqual([]);
  });

  it('moves each slice by its shift on a grid widened to keep it whole, the rest air', () => {
    // 3x2 pixels, 3 slices; slice k sits k pixels (+j) and half a pixel (-i per slice) off.
    const dims: Vec3 = [3, 2, 3];
    const hu = new Int16Array([
      1, 2, 3, 4, 5, 6, /* k 0 */ 10, 20, 30, 40, 50, 60, /* k 1 */ 100, 200, 300, 400, 500, 600,
    ]);
    const g = geometry([0, 0, 0]);
    const shifts = [
      { slot: 1, i: 0, j: 1 },
      { slot: 2, i: -1, j: 2 },
    ];
    const out = untilt({ ...g, hu, dims }, shifts, -1024);
    // One column more on the low-i side, two rows more on the high-j side.
    expect(out.dims).toEqual([4, 4, 3]);
    expect(out.originLps).toEqual([-0.5, 0, 0]);
    const slice = (k: number) => Array.from(out.hu.subarray(k * 16, (k + 1) * 16));
    const A = -1024;
    expect(slice(0)).toEqual([A, 1, 2, 3, A, 4, 5, 6, A, A, A, A, A, A, A, A]);
    expect(slice(1)).toEqual([A, A, A, A, A, 10, 20, 30, A, 40, 50, 60, A, A, A, A]);
    expect(slice(2)).toEqual([A, A, A, A, A, A, A, A, 100, 200, 300, A, 400, 500, 600, A]);
    // Each stored pixel lands at its own patient position: slice 2's first pixel sits where its
    // frame says (origin + shift), on the widened grid at (0, 2).
    const w = voxelToWorld({ ...out, spacingMm: g.spacingMm, direction: g.direction }, [0, 2, 2]);
    expect(w).toEqual([-0.5, 1, 4]);
  });

  it('interpolates a fractional shift and leaves an untilted series as it is', () => {
    const hu = new Int16Array([0, 100, 0, 100]);
    const g = geometry([0, 0, 0]);
    const same = untilt({ ...g, hu, dims: [2, 1, 2] }, [], -1024);
    expect(same.hu).toBe(hu);
    const half = untilt({ ...g, hu, dims: [2, 1, 2] }, [{ slot: 1, i: 0.5, j: 0 }], -1024);
    expect(half.dims).toEqual([3, 1, 2]);
    expect(Array.from(half.hu.subarray(3, 6))).toEqual([
      Math.round((-1024 + 0) / 2),
      50,
      Math.round((100 - 1024) / 2),
    ]);
  });
});
