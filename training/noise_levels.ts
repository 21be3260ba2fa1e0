/**
 * The app's own image-noise measure (src/core/inference/image-noise.ts) on DICOM series folders:
 * one JSON line per series, what training/noise_calibration.py reads.
 *
 *   node --import tsx training/noise_levels.ts <series folder>...
 */
import { loadSeries, scanDicomInputs } from '../src/core/dicom';
import { measureImageNoise } from '../src/core/inference/image-noise';

for (const dir of process.argv.slice(2)) {
  const scan = await scanDicomInputs([dir]);
  if (scan.series.length !== 1) throw new Error(`${dir}: expected one series, found ${scan.series.length}`);
  const { volume } = await loadSeries(scan.series[0]!);
  const t0 = performance.now();
  const noise = measureImageNoise(volume);
  const ms = Math.round(performance.now() - t0);
  console.log(JSON.stringify({ dir, sliceMm: volume.spacingMm[2], ms, ...noise }));
}
