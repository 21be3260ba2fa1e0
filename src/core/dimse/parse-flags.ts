import { ZodError, type ZodType } from 'zod';
import { PulmoLensError } from '../../common/errors';

/** Runs a zod parse and turns its failure into one readable INVALID_INPUT error naming `what`. */
export function parseOrExplain<T>(what: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof ZodError) {
      const why = e.issues
        .map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`)
        .join('; ');
      throw new PulmoLensError('INVALID_INPUT', `${what}: ${why}`);
    }
    throw e;
  }
}

export type { ZodType };
