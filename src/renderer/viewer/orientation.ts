/**
 * Orientation letters for the viewport edges, from the camera. DICOM patient space is LPS:
 * +x = patient Left, +y = Posterior, +z = Superior.
 */
export type V3 = readonly [number, number, number];

const cross = (a: V3, b: V3): [number, number, number] => [
  a[1] * b[2] - a[2] * b[1],
  a[2] * b[0] - a[0] * b[2],
  a[0] * b[1] - a[1] * b[0],
];

/** Letters for a direction, dominant axis first (oblique views get two or three letters). */
export function directionLabel(v: V3): string {
  const axes = [
    { mag: Math.abs(v[0]), letter: v[0] > 0 ? 'L' : 'R' },
    { mag: Math.abs(v[1]), letter: v[1] > 0 ? 'P' : 'A' },
    { mag: Math.abs(v[2]), letter: v[2] > 0 ? 'S' : 'I' },
  ].sort((a, b) => b.mag - a.mag);
  return axes
    .filter((a, i) => i === 0 || a.mag > 0.25)
    .map((a) => a.letter)
    .join('');
}

/** Screen right is viewUp x viewPlaneNormal (the normal points toward the viewer). */
export function edgeMarkers(
  viewUp: V3,
  viewPlaneNormal: V3,
): { left: string; right: string; top: string; bottom: string } {
  const right = cross(viewUp, viewPlaneNormal);
  const neg = (v: V3): V3 => [-v[0], -v[1], -v[2]];
  return {
    left: directionLabel(neg(right)),
    right: directionLabel(right),
    top: directionLabel(viewUp),
    bottom: directionLabel(neg(viewUp)),
  };
}

/** A round scale-bar length (mm) that fits in about `maxPx` pixels. */
export function scaleBarMm(mmPerPixel: number, maxPx = 120): number {
  if (!(mmPerPixel > 0)) return 0;
  const limit = mmPerPixel * maxPx;
  const steps = [1, 2, 5, 10, 20, 50, 100, 200, 500];
  let best = steps[0] ?? 1;
  for (const s of steps) if (s <= limit) best = s;
  return best;
}
