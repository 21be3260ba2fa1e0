import type { DirectionCosines, Vec3 } from '../../common/volume';
import type { FrameHeader } from './parse-instance';
import type { ScannedSeries } from './types';

export const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
export const cross = (a: Vec3, b: Vec3): Vec3 => [
  a[1] * b[2] - a[2] * b[1],
  a[2] * b[0] - a[0] * b[2],
  a[0] * b[1] - a[1] * b[0],
];
const norm = (a: Vec3): Vec3 => {
  const l = Math.hypot(a[0], a[1], a[2]) || 1;
  return [a[0] / l, a[1] / l, a[2] / l];
};

/** Key that separates frames which cannot share one volume: size, orientation, pixel spacing. */
export function stackKey(rows: number, columns: number, f: FrameHeader): string {
  const o = f.orientation?.map((v) => v.toFixed(3)).join(',') ?? 'no-orientation';
  const s = f.pixelSpacing?.map((v) => v.toFixed(4)).join(',') ?? 'no-spacing';
  return `${rows}x${columns}|${o}|${s}`;
}

export function directionFrom(orientation: FrameHeader['orientation']): DirectionCosines {
  const row = norm(orientation ? [orientation[0], orientation[1], orientation[2]] : [1, 0, 0]);
  const col = norm(orientation ? [orientation[3], orientation[4], orientation[5]] : [0, 1, 0]);
  const n = norm(cross(row, col));
  return [...row, ...col, ...n] as DirectionCosines;
}

export interface SliceLayout {
  /** Distance between sorted slice centres (median of the gaps). */
  spacing: number;
  /** Slot (output slice index) of each sorted frame; gaps leave empty slots. */
  slots: number[];
  slices: number;
  warnings: string[];
}

/**
 * Places sorted slice positions (mm along the normal) on a regular grid. Missing slices become
 * empty slots so that voxel <-> world stays exact; uneven spacing is reported. Slices too unevenly
 * spaced for any two to keep their own slot on that grid are stacked in order instead (reported).
 */
export function layoutSlices(positions: number[], fallbackSpacing: number | null): SliceLayout {
  const warnings: string[] = [];
  if (positions.length === 1) {
    return {
      spacing: fallbackSpacing && fallbackSpacing > 0 ? fallbackSpacing : 1,
      slots: [0],
      slices: 1,
      warnings,
    };
  }
  const gaps = positions.slice(1).map((p, i) => p - positions[i]!);
  const sorted = [...gaps].sort((a, b) => a - b);
  const spacing = sorted[Math.floor(sorted.length / 2)]!;
  if (!(spacing > 1e-4)) {
    return {
      spacing: fallbackSpacing && fallbackSpacing > 0 ? fallbackSpacing : 1,
      slots: positions.map((_, i) => i),
      slices: positions.length,
      warnings: [
        'slices share one position: they are stacked in order, geometry along the normal is unknown',
      ],
    };
  }
  const slots = positions.map((p) => Math.round((p - positions[0]!) / spacing));
  const clash = slots.findIndex((slot, i) => i > 0 && slot === slots[i - 1]);
  if (clash > 0) {
    // Two slices in one slot: one would be lost, and which one would depend on which decode
    // finished last. Every slice is kept, in order, between the true first and last positions.
    const first = positions[0]!;
    const last = positions[positions.length - 1]!;
    return {
      spacing: (last - first) / (positions.length - 1),
      slots: positions.map((_, i) => i),
      slices: positions.length,
      warnings: [
        `slices at ${positions[clash - 1]!.toFixed(2)} and ${positions[clash]!.toFixed(2)} mm fall on one slot of the median spacing (${spacing.toFixed(3)} mm; gaps ${sorted[0]!.toFixed(3)} to ${sorted[sorted.length - 1]!.toFixed(3)} mm): they are stacked in order, distances along the normal are approximate`,
      ],
    };
  }
  let missing = 0;
  let uneven = 0;
  gaps.forEach((g, i) => {
    const steps = g / spacing;
    const whole = Math.round(steps);
    if (whole >= 2 && Math.abs(steps - whole) < 0.1) {
      missing += whole - 1;
      warnings.push(
        `missing ${whole - 1} slice(s) between positions ${positions[i]!.toFixed(2)} and ${positions[i + 1]!.toFixed(2)} mm`,
      );
    } else if (Math.abs(g - spacing) > Math.max(0.01, spacing * 0.01)) {
      uneven += 1;
    }
  });
  if (uneven > 0) {
    warnings.push(
      `uneven slice spacing: ${uneven} gap(s) differ from the median ${spacing.toFixed(3)} mm (min ${sorted[0]!.toFixed(3)}, max ${sorted[sorted.length - 1]!.toFixed(3)})`,
    );
  }
  if (missing > 0) warnings.push(`${missing} missing slice(s) are filled with air (-1024 HU) in the volume`);
  return { spacing, slots, slices: slots[slots.length - 1]! + 1, warnings };
}

/** Warnings `layoutSlices` gives, replaced when a series is laid out again. */
const LAYOUT_WARNING =
  /^(uneven slice spacing|missing \d+ slice|\d+ missing slice|slices at .* fall on one slot)/;

/**
 * The series itself when every frame has its own slot; else (a series laid out before
 * `layoutSlices` kept every slice apart, as a vault may have stored it) the series laid out again
 * from its frames' positions, so that no slice is lost.
 */
export function withOwnSlots(series: ScannedSeries): ScannedSeries {
  if (new Set(series.frames.map((f) => f.slot)).size === series.frames.length) return series;
  const normal: Vec3 = [series.direction[6], series.direction[7], series.direction[8]];
  const layout = layoutSlices(
    series.frames.map((f) => dot(f.positionLps, normal)),
    series.spacingMm[2],
  );
  return {
    ...series,
    frames: series.frames.map((f, i) => ({ ...f, slot: layout.slots[i]! })),
    slices: layout.slices,
    spacingMm: [series.spacingMm[0], series.spacingMm[1], layout.spacing],
    warnings: [...series.warnings.filter((w) => !LAYOUT_WARNING.test(w)), ...layout.warnings],
  };
}
