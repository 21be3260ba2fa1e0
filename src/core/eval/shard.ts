/**
 * Splitting a cohort across machines: shard i of n takes every n-th series in series-UID order, so
 * any job scheduler can run shard i without coordination and the split is the same everywhere.
 * Shards are numbered from 0, like Kubernetes' JOB_COMPLETION_INDEX and Slurm's --array=0-(n-1).
 */
import { PulmoLensError } from '../../common/errors';

export interface Shard {
  index: number;
  count: number;
}

export function parseShard(spec: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(spec);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count) {
    throw new PulmoLensError(
      'INVALID_INPUT',
      `--shard ${JSON.stringify(spec)}: expected i/n with 0 <= i < n (shards are numbered from 0)`,
    );
  }
  return { index, count };
}

export function sortedUnique(uids: Iterable<string>): string[] {
  return [...new Set(uids)].sort();
}

/** The items of one shard, in series-UID order. */
export function selectShard<T>(items: readonly T[], uidOf: (t: T) => string, shard: Shard | undefined): T[] {
  const sorted = [...items].sort((a, b) => (uidOf(a) < uidOf(b) ? -1 : uidOf(a) > uidOf(b) ? 1 : 0));
  return shard ? sorted.filter((_, i) => i % shard.count === shard.index) : sorted;
}
