/** Messages between the DICOM worker thread and its client (structured-clone safe). */
import type { ErrorCode } from '../../common/errors';
import type { LoadedSeries, Progress, ScannedSeries, ScanResult } from '../../core/dicom/types';

export type DicomWorkerRequest =
  | { type: 'scan'; id: number; paths: string[] }
  /** `files`: the series' files already in memory (decrypted from the vault), by frame path. */
  | { type: 'load'; id: number; series: ScannedSeries; files?: Map<string, Uint8Array> }
  | { type: 'cancel'; id: number };

export type DicomWorkerReply =
  | { type: 'progress'; id: number; progress: Progress }
  | { type: 'scanned'; id: number; result: ScanResult }
  | { type: 'loaded'; id: number; result: LoadedSeries }
  | { type: 'error'; id: number; error: { code: ErrorCode; message: string; path?: string } };
