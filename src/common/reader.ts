/**
 * The person reading: entered at the lock screen (app) or given with --reader (CLI). Reviews,
 * reports and audit entries carry this, never the operating-system account.
 */
import { PulmoLensError } from './errors';

export interface Reader {
  name: string;
  /** Staff or badge number, when the site uses one. */
  id?: string;
}

/** How a reader appears in audit entries, reviews and reports: "Name" or "Name (ID)". */
export function readerLabel(r: Reader): string {
  return r.id ? `${r.name} (${r.id})` : r.name;
}

/**
 * Parses the command line's `NAME[:ID]` (the first colon separates the ID, so a name has none).
 * `source` names where the text came from, for the error.
 */
export function parseReader(text: string, source: string): Reader {
  const colon = text.indexOf(':');
  const name = (colon < 0 ? text : text.slice(0, colon)).trim();
  const id = colon < 0 ? '' : text.slice(colon + 1).trim();
  if (!name) {
    throw new PulmoLensError(
      'INVALID_INPUT',
      `${source}: the reader's name is empty (expected NAME or NAME:ID)`,
    );
  }
  if (name.length > 100 || id.length > 64) {
    throw new PulmoLensError('INVALID_INPUT', `${source}: the reader's name or ID is too long`);
  }
  if ([...name, ...id].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)) {
    throw new PulmoLensError(
      'INVALID_INPUT',
      `${source}: the reader's name or ID contains control characters`,
    );
  }
  return id ? { name, id } : { name };
}
