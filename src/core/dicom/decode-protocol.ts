import type { ErrorCode } from '../../common/errors';
import type { DirectFrame } from './types';

/** One uncompressed 16-bit frame whose slot in the shared volume a decode worker fills. */
export interface DecodeTask {
  /** Index into the batch's caller-side list; echoed back with the outcome. */
  ref: number;
  slot: number;
  direct: DirectFrame;
  /**
   * Where the worker reads the frame's bytes from, straight into the slot. Absent when the caller
   * already wrote the raw bytes there (an in-memory source): convert only.
   */
  read?: SlotRead;
}

/**
 * How a worker reads a frame's bytes itself: from a plain file, or from a vault object, deciphered
 * with that object's own key (never the vault's keys), which the worker wipes after use.
 */
export type SlotRead =
  | { kind: 'file'; path: string }
  | {
      kind: 'vault-object';
      file: string;
      vaultId: string;
      objectId: string;
      chunkBytes: number;
      size: number;
      key: Uint8Array;
    };

export interface DecodeBatch {
  id: number;
  volume: SharedArrayBuffer;
  sliceSize: number;
  tasks: DecodeTask[];
  /** Vault objects are deciphered the way the loading thread would: natively or with Node's crypto. */
  nativeDecipher: boolean;
}

export interface TaskFailure {
  ref: number;
  /** null for an error that was not a PulmoLensError (an fs error, say) */
  code: ErrorCode | null;
  message: string;
  path?: string;
  details?: Record<string, unknown>;
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
