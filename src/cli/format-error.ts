import { PulmoLensError } from '../common/errors';

/** One readable line for a person at a terminal: the error code, the file, the reason. */
export function formatError(err: unknown): string {
  if (err instanceof PulmoLensError) {
    const where = err.path ? ` ${err.path}:` : '';
    return `error [${err.code}]${where} ${err.message}`;
  }
  if (err instanceof Error) return `error: ${err.message}`;
  return `error: ${String(err)}`;
}
