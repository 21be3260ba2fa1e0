import type { ErrorCode } from '../../common/errors';
import type { DirectFrame } from './types';

/** One uncompressed 16-bit frame whose slot in the shared volume a decode worker fills. */
export interface DecodeTask {
  /** Index into the batch's caller-side list; echoed back with the outcome. */
  ref: number;
  slot: number;
  direct: DirectFrame;
  /**
   * The file the worker reads the frame's bytes from, straight into the slot. Absent when the
   * caller already wrote the raw bytes there (a vault or in-memory source): convert only.
   */
  path?: string;
}

export interface DecodeBatch {
  id: number;
  volume: SharedArrayBuffer;
  sliceSize: number;
  tasks: DecodeTask[];
}

export interface TaskFailure {
  ref: number;
  code: ErrorCode | null;
  message: string;
}

/** HU statistics of the voxels this batch wrote (exact integer sums, so merging is exact). */
export interface BatchStats {
  min: number;
  max: number;
  sum: number;
  count: number;
}

export interface DecodeReply {
  id: number;
  failures: TaskFailure[];
  stats: BatchStats;
}
