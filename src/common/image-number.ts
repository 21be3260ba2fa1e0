/**
 * How a slice is named to a reader: by its DICOM Instance Number, the number the PACS shows, so
 * "image 43" means the same image in the viewer, the findings list, the PDF and the SR. Only a
 * slice without one (a gap, or a file that lacks the tag) falls back to its position in the volume,
 * marked with "#" so it is never mistaken for an Instance Number.
 */
export function imageNumberLabel(instanceNumber: number | null | undefined, sliceIndex: number): string {
  return instanceNumber === null || instanceNumber === undefined || !Number.isFinite(instanceNumber)
    ? `#${sliceIndex + 1}`
    : String(instanceNumber);
}

/** Instance Numbers by volume slice index (slot); null where a slice has none or is a gap. */
export function instanceNumbersBySlot(
  frames: readonly { slot: number; instanceNumber: number | null }[],
  slices: number,
): (number | null)[] {
  const out: (number | null)[] = new Array<number | null>(slices).fill(null);
  // An enhanced multi-frame file shares one Instance Number across its frames: no per-slice name.
  const perFile = new Map<number, number>();
  for (const f of frames)
    if (f.instanceNumber !== null) perFile.set(f.instanceNumber, (perFile.get(f.instanceNumber) ?? 0) + 1);
  for (const f of frames) {
    if (f.slot < 0 || f.slot >= slices || f.instanceNumber === null) continue;
    if ((perFile.get(f.instanceNumber) ?? 0) === 1) out[f.slot] = f.instanceNumber;
  }
  return out;
}
