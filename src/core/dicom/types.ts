import type { DirectionCosines, Vec3, Volume } from '../../common/volume';
import type { SeriesMetadata, SkippedFile } from '../../common/dicom';

// Both sides of the IPC use these two; they live in src/common and are part of this module's API.
export type { SeriesMetadata, SkippedFile };

/** One image (a frame of a file) that belongs to a series, with what is needed to place it. */
export interface FrameRef {
  path: string;
  /** 0 for single-frame files; the frame number for enhanced multi-frame files. */
  frame: number;
  sopInstanceUid: string;
  instanceNumber: number | null;
  positionLps: Vec3;
  /** Output slice index in the volume (missing slices leave gaps). */
  slot: number;
  /** Set when the frame's stored values can be read straight from the file (uncompressed). */
  direct?: DirectFrame;
}

/** Everything needed to turn a frame's raw file bytes into HU without parsing the file again. */
export interface DirectFrame {
  offset: number;
  length: number;
  littleEndian: boolean;
  bitsAllocated: 8 | 16;
  bitsStored: number;
  pixelRepresentation: 0 | 1;
  slope: number;
  intercept: number;
  paddingValue: number | null;
  paddingRangeLimit: number | null;
}

/** A series found by scanning, before pixel decoding: sorted frames, geometry, warnings. */
export interface ScannedSeries {
  /** Stable key: SeriesInstanceUID, plus a suffix when a mixed series had to be split. */
  key: string;
  metadata: SeriesMetadata;
  rows: number;
  columns: number;
  /** Sorted along the slice normal (never by file name or InstanceNumber alone). */
  frames: FrameRef[];
  /** Number of slices of the assembled volume (frames plus gaps for missing slices). */
  slices: number;
  spacingMm: Vec3;
  originLps: Vec3;
  direction: DirectionCosines;
  transferSyntaxes: string[];
  warnings: string[];
}

export interface ScanResult {
  series: ScannedSeries[];
  skipped: SkippedFile[];
}

/** A decoded series: the HU volume plus everything known about it. */
export interface LoadedSeries {
  series: ScannedSeries;
  volume: Volume;
  huMin: number;
  huMax: number;
  huMean: number;
  /** Frames that failed to decode (the volume holds -1024 HU there, and a warning says so). */
  skipped: SkippedFile[];
  /**
   * Slices of the volume that hold no image, ascending: missing from the series or not decodable.
   * They read -1024 HU (the viewer shows the gap as it is); the analysis fills them from their
   * neighbours instead (AnalyzeOptions.emptySlices).
   */
  emptySlices: number[];
}

export interface Progress {
  done: number;
  total: number;
  stage: string;
}

export interface TaskOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}
