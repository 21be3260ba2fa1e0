/**
 * Writes what the detector (3D U-Net) sees of a series, for training it on real backgrounds
 * (training/train_det.py): the volume resampled to the model grid exactly as detect.ts does it
 * (HU, int16, Z,Y,X), the app's lung mask on its coarse grid, and the inserted nodules (truth
 * JSON of insert_nodules.py, with the site check's verdicts) in model-grid voxels.
 *
 *   node --import tsx training/dump_grid.ts <out dir> training/runs/insert/<name> [...]
 * writes <out dir>/<name>.{i16,mask.u8,json}
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSeries, scanDicomInputs } from '../src/core/dicom';
import { loadManifest } from '../src/core/inference/manifest';
import { shippedModelsDir } from '../src/core/inference/config';
import { coarseLungMask } from '../src/core/inference/lung-mask';
import { gridFor, resampleSlab, volumeToGrid } from '../src/core/inference/grid';
import { worldToVoxel, type Vec3 } from '../src/common/volume';

async function main() {
  const [out, ...dirs] = process.argv.slice(2);
  mkdirSync(out!, { recursive: true });
  const manifest = await loadManifest(shippedModelsDir());
  const det = manifest.detector;
  const sp = det.spacingMm as Vec3;
  for (const dir0 of dirs) {
    const dir = dir0.replace(/\/$/, '');
    const name = dir.split('/').pop()!;
    if (existsSync(join(out!, name + '.json'))) continue;
    const scan = await scanDicomInputs([dir]);
    const series = [...scan.series].sort((a, b) => b.slices - a.slices)[0]!;
    const { volume } = await loadSeries(series);
    const grid = gridFor(volume, sp);
    const [gx, gy, gz] = grid.dims;
    const hu = resampleSlab(volume.hu, volume.dims, grid, 0, gz, new Float32Array(gx * gy * gz));
    const i16 = new Int16Array(hu.length);
    for (let i = 0; i < hu.length; i++) i16[i] = Math.max(-32768, Math.min(32767, Math.round(hu[i]!)));
    const { coarse, lung } = coarseLungMask(volume, [sp[0] * 2, sp[1] * 2, sp[2] * 2]);
    let nodules: unknown[] = [];
    if (existsSync(dir + '.json')) {
      const meta = JSON.parse(readFileSync(dir + '.json', 'utf8'));
      const sites: Record<string, boolean> = existsSync(dir + '.sites.json')
        ? JSON.parse(readFileSync(dir + '.sites.json', 'utf8'))
        : {};
      nodules = meta.nodules.map((n: { id: string; diameterMm: number; type: string; attachment: string; worldLps: Vec3 }) => ({
        id: n.id,
        diameterMm: n.diameterMm,
        type: n.type,
        attachment: n.attachment,
        valid: sites[n.id] !== false,
        grid: volumeToGrid(grid, worldToVoxel(volume, n.worldLps)),
      }));
    }
    writeFileSync(join(out!, name + '.i16'), Buffer.from(i16.buffer));
    writeFileSync(join(out!, name + '.mask.u8'), Buffer.from(lung.mask.buffer, lung.mask.byteOffset, lung.mask.byteLength));
    writeFileSync(join(out!, name + '.json'), JSON.stringify({
      name, seriesInstanceUid: series.metadata?.seriesInstanceUid ?? null, dims: grid.dims, spacingMm: sp,
      volumeSpacingMm: volume.spacingMm, coarseDims: coarse.dims, coarseStep: [coarse.step[0] / grid.step[0], coarse.step[1] / grid.step[1], coarse.step[2] / grid.step[2]],
      nodules,
    }));
    console.error(`${name}: grid ${grid.dims.join('x')} nodules ${nodules.length}`);
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
