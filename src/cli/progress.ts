/** A one-line text progress bar for long CLI work. */
export function progressBar(label: string, done: number, total: number, width = 30): string {
  const frac = total > 0 ? Math.min(1, done / total) : 0;
  const fill = Math.round(frac * width);
  return `${label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${done}/${total}`;
}
