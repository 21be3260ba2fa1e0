/** What a codec needs to know about a frame, from the DICOM header. */
export interface FrameInfo {
  rows: number;
  columns: number;
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: 0 | 1;
  samplesPerPixel: number;
}

/** Decoded stored values of one frame (before rescale), one per pixel. */
export type StoredPixels = Int16Array | Uint16Array | Uint8Array | Int8Array;
