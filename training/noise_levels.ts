/**
 * The app's own image-noise measure (src/core/inference/image-noise.ts) on DICOM series folders:
 * one JSON line per series, what training/noise_calibration.py reads.
 *
 *   node --import tsx training/noise_levels.ts [--regrid] <series folder>...
 *
 * --regrid (session 28) also reads the series stored otherwise: flipped along x, y, z and all three,
 * and with its first 2, 4, 8 or 16 columns and rows cut off (the patch grid starts elsewhere). The
 * same patient and dose, so the spread of these readings is the measure's own: `readings`, and
 * their `min` and `max` (nodule scale).
 */
import type { Volume } from '../src/common/volume';
import { loadSeries, scanDicomInputs } from '../src/core/dicom';
import { flipVoxels, type AxisFlips } from '../src/core/inference/canonical-orientation';
import { measureImageNoise } from '../src/core/inference/image-noise';

type Hu = Pick<Volume, 'hu' | 'dims' | 'spacingMm'>;

/** The volume without its first `s` columns and rows. */
function cropped(v: Hu, s: number): Hu {
  const [nx, ny, nz] = v.dims;
  const [mx, my] = [nx - s, ny - s];
  const hu = new Int16Array(mx * my * nz);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < my; j++)
      for (let i = 0; i < mx; i++) hu[(k * my + j) * mx + i] = v.hu[(k * ny + j + s) * nx + i + s]!;
  return { ...v, hu, dims: [mx, my, nz] };
}

export const REGRIDS: readonly { name: string; of: (v: Hu) => Hu }[] = [
  { name: 'as stored', of: (v) => v },
  ...[[0], [1], [2], [0, 1, 2]].map((a) => {
    const flips = [0, 1, 2].map((x) => a.includes(x)) as unknown as AxisFlips;
    return { name: `flip ${a.join('')}`, of: (v: Hu) => ({ ...v, hu: flipVoxels(v.hu, v.dims, flips) }) };
  }),
  ...[2, 4, 8, 16].map((s) => ({ name: `crop ${s}`, of: (v: Hu) => cropped(v, s) })),
];

const args = process.argv.slice(2);
const regrid = args.includes('--regrid');
for (const dir of args.filter((a) => a !== '--regrid')) {
  const scan = await scanDicomInputs([dir]);
  if (scan.series.length !== 1) throw new Error(`${dir}: expected one series, found ${scan.series.length}`);
  const { volume } = await loadSeries(scan.series[0]!);
  const t0 = performance.now();
  const noise = measureImageNoise(volume);
  const ms = Math.round(performance.now() - t0);
  const extra: Record<string, unknown> = {};
  if (regrid) {
    const readings = REGRIDS.map((g) => {
      const n = measureImageNoise(g.of(volume));
      if (!n.measured) throw new Error(`${dir} (${g.name}): noise not measured (${n.patches} patches)`);
      return { regrid: g.name, noduleScaleSdHu: n.noduleScaleSdHu, softTissueSdHu: n.softTissueSdHu };
    });
    const nodule = readings.map((r) => r.noduleScaleSdHu);
    Object.assign(extra, { readings, min: Math.min(...nodule), max: Math.max(...nodule) });
  }
  console.log(JSON.stringify({ dir, sliceMm: volume.spacingMm[2], ms, ...noise, ...extra }));
}
