import type { Progress } from '../dicom/types';
import type { ErrorCode } from '../errors';
import type { Volume } from '../volume/volume';
import type { AnalysisResult, AnalyzeOptions, SeriesHeader } from './pipeline';

/** Messages between analyzeSeries (caller thread) and the inference worker. */
export interface RunRequest {
  type: 'run';
  id: number;
  volume: Volume;
  header: SeriesHeader;
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
