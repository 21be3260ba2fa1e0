/**
 * Typed errors shared by every part of src/core. Each one names what failed (a file, an object,
 * a model) and why, so the UI and the CLI can tell a person something they can act on.
 */
export type ErrorCode =
  | 'DICOM_NOT_DICOM'
  | 'DICOM_MALFORMED'
  | 'DICOM_UNSUPPORTED_TRANSFER_SYNTAX'
  | 'DICOM_DECODE_FAILED'
  | 'DICOM_PIXEL_ATTRIBUTES'
  | 'DICOM_NO_IMAGE'
  | 'SERIES_INCONSISTENT'
  | 'IO_ERROR'
  | 'NOT_FOUND'
  | 'INVALID_INPUT'
  | 'CANCELLED'
  | 'VAULT_WRONG_PASSPHRASE'
  | 'VAULT_WRONG_RECOVERY_CODE'
  | 'VAULT_CORRUPT'
  | 'VAULT_LOCKED'
  | 'VAULT_EXISTS'
  | 'VAULT_NOT_FOUND'
  | 'VAULT_IO'
  | 'VAULT_BUSY'
  | 'VAULT_KEYCHAIN_REFUSED'
  | 'MODEL_MISMATCH'
  | 'MODEL_MISSING'
  | 'MODEL_RUNTIME'
  | 'ANNOTATIONS_INVALID'
  | 'EVAL_INVALID'
  | 'OUTPUT_EXISTS'
  | 'DIMSE_REFUSED'
  | 'DIMSE_TIMEOUT'
  | 'DIMSE_NETWORK';

export class PulmoLensError extends Error {
  readonly code: ErrorCode;
  readonly path: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { path?: string; cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'PulmoLensError';
    this.code = code;
    this.path = opts.path;
    this.details = opts.details;
  }

  toJSON(): { code: ErrorCode; message: string; path?: string; details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      ...(this.path ? { path: this.path } : {}),
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export function isPulmoLensError(e: unknown): e is PulmoLensError {
  return e instanceof PulmoLensError;
}
