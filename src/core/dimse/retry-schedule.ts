/**
 * When queued sends are tried again on their own: soon after a failure (a PACS restarting is back
 * in a minute), then less and less often so an absent PACS is not hammered, never rarer than the
 * cap so results still arrive the same day.
 */

/** 1, 2, 5, 10, 15, 30 minutes, then every 30 minutes. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [1, 2, 5, 10, 15, 30].map((m) => m * 60_000);

/**
 * The wait before automatic attempt `n` (0 = the first after a failure); the last delay repeats,
 * so the schedule is capped.
 */
export function retryDelayMs(n: number, delays: readonly number[] = DEFAULT_RETRY_DELAYS_MS): number {
  if (delays.length === 0) throw new RangeError('a retry schedule needs at least one delay');
  return delays[Math.min(Math.max(0, Math.floor(n)), delays.length - 1)]!;
}
