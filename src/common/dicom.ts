/** DICOM shapes both the core and the UI use: a series' header metadata and a file that was skipped. */
import type { ErrorCode } from './errors';

/** Header metadata a viewer and a report need, in one typed object (strings empty when absent). */
export interface SeriesMetadata {
  patientName: string;
  patientId: string;
  patientBirthDate: string;
  patientSex: string;
  /** DICOM AS string, e.g. "065Y" */
  patientAge: string;
  studyInstanceUid: string;
  studyDate: string;
  studyTime: string;
  studyDescription: string;
  accessionNumber: string;
  seriesInstanceUid: string;
  seriesNumber: number | null;
  seriesDescription: string;
  seriesDate: string;
  modality: string;
  manufacturer: string;
  manufacturerModelName: string;
  institutionName: string;
  convolutionKernel: string;
  sliceThicknessMm: number | null;
  kvp: number | null;
  frameOfReferenceUid: string;
  bodyPartExamined: string;
}

export interface SkippedFile {
  path: string;
  code: ErrorCode;
  reason: string;
}
