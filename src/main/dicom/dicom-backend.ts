/**
 * Where DICOM scanning and decoding run. The router only sees this interface; the Electron main
 * process and the test host use the worker-thread implementation so decoding never blocks IPC,
 * and unit tests may use the in-process one.
 */
import type { LoadedSeries, ScannedSeries, ScanResult, TaskOptions } from '../../core/dicom/types';

export interface DicomBackend {
  scan(paths: string[], opts: TaskOptions): Promise<ScanResult>;
  /** `files`: the series' files already in memory (from the vault); otherwise read from disk. */
  load(series: ScannedSeries, opts: TaskOptions, files?: Map<string, Uint8Array>): Promise<LoadedSeries>;
  close(): Promise<void>;
}
