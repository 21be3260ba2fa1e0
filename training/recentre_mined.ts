/**
 * Experiment (issue 10): re-centres a mined series' stage-1 candidates with
 * src/core/inference/recentre.ts and writes the candidates and cubes as a new mined prefix, without
 * running stage 1 again (it does not depend on the centres).
 *
 *   node --import tsx training/recentre_mined.ts <dicom-folder> <mined prefix> --out <prefix>
 */
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { voxelToWorld, type Vec3 } from '../src/common/volume';
import { loadSeries, scanDicomInputs } from '../src/core/dicom';
import { shippedModelsDir } from '../src/core/inference/config';
import { CHARACTERIZER_V2_INPUTS, cubeValues, extractCandidateCubes } from '../src/core/inference/cubes';
import { coarseLungMask } from '../src/core/inference/lung-mask';
import { loadManifest } from '../src/core/inference/manifest';
import { recentreCandidate } from '../src/core/inference/recentre';

const [folder, inPrefix, flag, outPrefix, reachArg] = process.argv.slice(2);
const [rf, rlo, rhi] = (reachArg ?? '0.75,4,8').split(',').map(Number) as [number, number, number];
if (!folder || !inPrefix || flag !== '--out' || !outPrefix) throw new Error('usage: see the header');
const scan = await scanDicomInputs([resolve(folder)]);
const series = [...scan.series].sort((a, b) => b.slices - a.slices)[0]!;
const { volume } = await loadSeries(series);
const det = (await loadManifest(shippedModelsDir())).detector;
const { coarse, lung } = coarseLungMask(volume, [det.spacingMm[0] * 2, det.spacingMm[1] * 2, det.spacingMm[2] * 2]);
const doc = JSON.parse(readFileSync(`${inPrefix}.json`, 'utf8')) as {
  candidates: Array<{ voxel: Vec3; world: Vec3; scaleMm: number }>;
};
const t0 = performance.now();
const moved: number[] = [];
for (const c of doc.candidates) {
  const to = recentreCandidate(volume, { core: lung.core, grid: coarse }, c.voxel, c.scaleMm, Math.min(rhi, Math.max(rlo, rf * c.scaleMm)));
  const d = Math.hypot(...[0, 1, 2].map((a) => (to[a]! - c.voxel[a]!) * volume.spacingMm[a]!));
  moved.push(d);
  c.voxel = to.map((v) => Math.round(v * 1000) / 1000) as Vec3;
  c.world = voxelToWorld(volume, to).map((v) => Math.round(v * 1000) / 1000) as Vec3;
}
const ms = performance.now() - t0;
const buf = new Float32Array(cubeValues(CHARACTERIZER_V2_INPUTS));
const fd = openSync(`${outPrefix}.cubes.f32`, 'wx');
for (const c of doc.candidates) {
  extractCandidateCubes(volume, c.voxel, CHARACTERIZER_V2_INPUTS, [-1000, 400], buf);
  writeSync(fd, new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
}
closeSync(fd);
writeFileSync(`${outPrefix}.json`, `${JSON.stringify(doc)}\n`, { flag: 'wx' });
moved.sort((a, b) => a - b);
process.stderr.write(
  `${doc.candidates.length} candidates re-centred in ${ms.toFixed(0)} ms; moved median ${moved[moved.length >> 1]!.toFixed(2)} mm, max ${moved[moved.length - 1]!.toFixed(2)} mm\n`,
);
