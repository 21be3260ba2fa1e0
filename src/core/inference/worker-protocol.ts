import type { Progress } from '../dicom/types';
import type { ErrorCode } from '../../common/errors';
import type { Volume } from '../../common/volume';
import type { ModelChoice } from './config';
import type { AnalysisResult, AnalyzeOptions, SeriesHeader } from './pipeline';

/** What the worker thread needs before its first job (the rest of the InferenceConfig comes per job). */
export interface InferenceWorkerData {
  ortVerbose: boolean;
  /** Where the blob workers' built entry lies (null: next to the sources). */
  blobWorkerEntry: string | null;
}

/** Messages between analyzeSeries (caller thread) and the inference worker. */
export interface RunRequest {
  type: 'run';
  id: number;
  volume: Volume;
  header: SeriesHeader;
  models: ModelChoice;
  options: AnalyzeOptions;
  /** Int32 flag, set to 1 by the caller to cancel; shared so a busy worker sees it at once. */
  cancel: SharedArrayBuffer;
}

export type WorkerReply =
  | { type: 'progress'; id: number; progress: Progress }
  | { type: 'done'; id: number; result: AnalysisResult }
  | {
      type: 'error';
      id: number;
      error: { code: ErrorCode | null; message: string; path?: string; details?: Record<string, unknown> };
    };
