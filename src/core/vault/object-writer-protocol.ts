import type { ErrorCode } from '../../common/errors';
import type { ObjectCoords } from './object-file';

/** Encrypt one plaintext file into a vault object (see writeObjectFile), with that object's key. */
export interface WriteObjectJob {
  id: number;
  tmpDir: string;
  finalPath: string;
  coords: ObjectCoords;
  key: Uint8Array;
  sourcePath: string;
}

export interface WriteObjectReply {
  id: number;
  /** plaintext size written, or the typed error that stopped it */
  result:
    { size: number } | { code: ErrorCode; message: string; path?: string; details?: Record<string, unknown> };
}
