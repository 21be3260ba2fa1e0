/**
 * Stage 1's candidates on copies of one real series stored otherwise (session 29): without its
 * 1, 2, 3 or 5 lowest slices or its 2 highest, and without its first 3, 7 or 13 columns or 5 or 11
 * rows. The same patient; only the grids the U-Net tiles and the 1 mm resampling fall on move, and
 * with them where candidates land. The characterizer had learnt a real scan's negatives at the one
 * set of positions its stage 1 gives the scan as stored; at positions a few millimetres away it
 * scored the same vessels up to 0.99 (training/README.md, session 29). Output (world mm) for
 * mine_thickness.ts --positions.
 *
 *   node --import tsx training/copy_positions.ts <dicom-folder> --out <file.json>
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { voxelToWorld, type Volume } from '../src/common/volume';
import { PulmoLensError } from '../src/common/errors';
import { loadSeries, scanDicomInputs } from '../src/core/dicom';
import { shippedModelsDir } from '../src/core/inference/config';
import { defaultTiling } from '../src/core/inference/detect';
import { getRuntime } from '../src/core/inference/runtime';
import { runStage1 } from '../src/core/inference/stage1';

/** The volume without its first `i` columns, `j` rows and `k` slices and its last `kHi` slices. */
function trimmed(v: Volume, i: number, j: number, k: number, kHi: number): Volume {
  const [nx, ny, nz] = v.dims;
  const [mx, my, mz] = [nx - i, ny - j, nz - k - kHi];
  const hu = new Int16Array(mx * my * mz);
  for (let z = 0; z < mz; z++)
    for (let y = 0; y < my; y++) {
      const src = ((z + k) * ny + y + j) * nx + i;
      hu.set(v.hu.subarray(src, src + mx), (z * my + y) * mx);
    }
  return { ...v, dims: [mx, my, mz], originLps: voxelToWorld(v, [i, j, k]), hu };
}

const COPIES: [string, number, number, number, number][] = [
  ['without 1 lowest slice', 0, 0, 1, 0],
  ['without 2 lowest slices', 0, 0, 2, 0],
  ['without 3 lowest slices', 0, 0, 3, 0],
  ['without 5 lowest slices', 0, 0, 5, 0],
  ['without 2 highest slices', 0, 0, 0, 2],
  ['without 3 columns', 3, 0, 0, 0],
  ['without 7 columns', 7, 0, 0, 0],
  ['without 13 columns', 13, 0, 0, 0],
  ['without 5 rows', 0, 5, 0, 0],
  ['without 11 rows', 0, 11, 0, 0],
];

const argv = process.argv.slice(2);
const outAt = argv.indexOf('--out');
const folder = argv.find((a, n) => !a.startsWith('--') && n !== outAt + 1);
if (!folder || outAt < 0 || !argv[outAt + 1])
  throw new PulmoLensError('INVALID_INPUT', 'usage: copy_positions.ts <dicom-folder> --out <file.json>');
const scan = await scanDicomInputs([resolve(folder)]);
const series = scan.series[0];
if (!series) throw new PulmoLensError('DICOM_NO_IMAGE', 'no image series found', { path: folder });
const { volume } = await loadSeries(series);
const rt = await getRuntime(shippedModelsDir(), 'cpu');
const r3 = (x: number) => Math.round(x * 1000) / 1000;
const candidates: { world: number[]; source: string; scaleMm: number; copy: string }[] = [];
for (const [copy, i, j, k, kHi] of COPIES) {
  const v = trimmed(volume, i, j, k, kHi);
  const s1 = await runStage1(v, rt, { tiling: defaultTiling('cpu') });
  for (const c of s1.candidates)
    candidates.push({ world: voxelToWorld(v, c.centre).map(r3), source: c.source, scaleMm: r3(c.scaleMm), copy });
  process.stderr.write(`${copy}: ${s1.candidates.length} candidates\n`);
}
writeFileSync(
  resolve(argv[outAt + 1]!),
  `${JSON.stringify({ seriesInstanceUid: series.metadata.seriesInstanceUid, copies: COPIES.map((c) => c[0]), candidates })}\n`,
  { flag: 'wx' },
);
process.exit(0);
