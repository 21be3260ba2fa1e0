/** The series shapes the DICOM and vault channels share (a study browser row). */
import type { SeriesMetadata, SkippedFile } from '../common/dicom';

/** One series found by a scan, as the study browser lists it (no file paths, no pixels). */
export interface ScannedSeriesSummary {
  key: string;
  metadata: SeriesMetadata;
  rows: number;
  columns: number;
  sliceCount: number;
  spacingMm: [number, number, number];
  transferSyntaxes: string[];
  warnings: string[];
  /** "AET@host" of the DICOM peer that sent it (series received into the vault) */
  receivedFrom?: string;
}

export interface ScanSummary {
  series: ScannedSeriesSummary[];
  skipped: SkippedFile[];
}
