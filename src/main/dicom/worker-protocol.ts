/** Messages between the DICOM worker thread and its client (structured-clone safe). */
import type { ErrorCode } from '../../core/errors';
import type { LoadedSeries, Progress, ScannedSeries, ScanResult } from '../../core/dicom/types';

export type WorkerRequest =
  | { type: 'scan'; id: number; paths: string[] }
  | { type: 'load'; id: number; series: ScannedSeries }
  | { type: 'cancel'; id: number };

export type WorkerReply =
  | { type: 'progress'; id: number; progress: Progress }
  | { type: 'scanned'; id: number; result: ScanResult }
  | { type: 'loaded'; id: number; result: LoadedSeries }
  | { type: 'error'; id: number; error: { code: ErrorCode; message: string; path?: string } };
