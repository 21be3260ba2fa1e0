import { loadSeries, scanDicomInputs } from '../../src/core/dicom';
import type { LoadedSeries } from '../../src/core/dicom';

/** Scans paths that must hold exactly one series and decodes it. */
export async function loadOnly(...paths: string[]): Promise<LoadedSeries> {
  const scan = await scanDicomInputs(paths);
  if (scan.series.length !== 1) {
    throw new Error(
      `expected one series in ${paths.join(', ')}, got ${scan.series.length}: ${JSON.stringify(scan.skipped)}`,
    );
  }
  return loadSeries(scan.series[0]!);
}

export function diffStats(a: ArrayLike<number>, b: ArrayLike<number>, skip?: (ref: number) => boolean) {
  let max = 0;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    if (skip?.(a[i]!)) continue;
    const d = Math.abs(a[i]! - b[i]!);
    if (d > max) max = d;
    sum += d;
    n++;
  }
  return { max, mean: sum / Math.max(1, n), n };
}
