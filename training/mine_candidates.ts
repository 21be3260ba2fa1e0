/**
 * Candidate miner (model contract v2): the app's own import, resampling, lung mask, stage-1
 * candidates (blob detector UNION U-Net peaks) and cube extraction, exactly as at runtime, for
 * training the characterizer on what the app will show it.
 *
 *   node --import tsx training/mine_candidates.ts <dicom-folder> --out <prefix> [--models DIR]
 *       [--blob-quota SMALL,LARGE] [--second-centres on|off]
 *
 * Writes <prefix>.cubes.f32 (little-endian float32, N x 2 x 32 x 32 x 32: 32^3 at 1 mm then 32^3
 * at 2 mm, HU clipped to [-1000, 400] and scaled to [0, 1]) and <prefix>.json
 * ({ seriesInstanceUid, sliceThicknessMm, candidates: [{ world, voxel, source, scaleMm, blobScore,
 * unetScore }], timingsMs }); candidate n is cube n. `voxel` is the continuous volume voxel
 * (i, j, k) the cubes are centred on; `world` is its DICOM LPS position in mm.
 */
import { openSync, writeSync, closeSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadSeries, scanDicomInputs } from '../src/core/dicom';
import { PulmoLensError } from '../src/common/errors';
import { CHARACTERIZER_V2_INPUTS, cubeValues, extractCandidateCubes } from '../src/core/inference/cubes';
import { shippedModelsDir } from '../src/core/inference/config';
import { getRuntime, releaseRuntimes } from '../src/core/inference/runtime';
import { blobQuotaOf, runStage1 } from '../src/core/inference/stage1';
import { defaultTiling } from '../src/core/inference/detect';
import { voxelToWorld } from '../src/common/volume';

/** The contract's HU window for the characterizer cubes. */
const HU_WINDOW: [number, number] = [-1000, 400];

interface MineArgs {
  folder: string;
  out: string;
  models?: string;
  /** Blob quota per scale (below 5 mm, from 5 mm) instead of the app's BLOB_QUOTA: stage-1 experiments. */
  blobQuota?: [number, number];
  /** Stage 1's second centres on or off instead of the app's SECOND_CENTRE_SOURCE. */
  secondCentres?: boolean;
}

function parseArgs(argv: string[]): MineArgs {
  let folder: string | undefined;
  let out: string | undefined;
  let models: string | undefined;
  let blobQuota: [number, number] | undefined;
  let secondCentres: boolean | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--out') out = argv[++i];
    else if (a === '--models') models = argv[++i];
    else if (a === '--blob-quota') {
      const q = (argv[++i] ?? '').split(',').map(Number);
      if (q.length !== 2 || !q.every((n) => Number.isInteger(n) && n > 0))
        throw new PulmoLensError('INVALID_INPUT', '--blob-quota wants SMALL,LARGE (two positive integers)');
      blobQuota = [q[0]!, q[1]!];
    } else if (a === '--second-centres') {
      const v = argv[++i];
      if (v !== 'on' && v !== 'off') throw new PulmoLensError('INVALID_INPUT', '--second-centres wants on or off');
      secondCentres = v === 'on';
    } else if (a.startsWith('--')) throw new PulmoLensError('INVALID_INPUT', `unknown option ${a}`);
    else folder = a;
  }
  if (!folder || !out) {
    throw new PulmoLensError(
      'INVALID_INPUT',
      'usage: mine_candidates.ts <dicom-folder> --out <prefix> [--models DIR] [--blob-quota SMALL,LARGE] [--second-centres on|off]',
    );
  }
  return {
    folder: resolve(folder),
    out: resolve(out),
    ...(models ? { models: resolve(models) } : {}),
    ...(blobQuota ? { blobQuota } : {}),
    ...(secondCentres !== undefined ? { secondCentres } : {}),
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const timingsMs: Record<string, number> = {};
  let last = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    timingsMs[name] = Math.round(now - last);
    last = now;
  };
  const scan = await scanDicomInputs([args.folder]);
  const series = [...scan.series].sort((a, b) => b.slices - a.slices)[0];
  if (!series) throw new PulmoLensError('DICOM_NO_IMAGE', 'no image series found', { path: args.folder });
  const loaded = await loadSeries(series);
  const volume = loaded.volume;
  lap('load');
  const rt = await getRuntime(args.models ?? shippedModelsDir(), 'cpu');
  lap('loadModels');
  const s1 = await runStage1(volume, rt, {
    tiling: defaultTiling('cpu'),
    lap,
    ...(args.blobQuota ? { blobQuota: blobQuotaOf(...args.blobQuota) } : {}),
    ...(args.secondCentres !== undefined ? { secondCentres: args.secondCentres } : {}),
  });
  const per = cubeValues(CHARACTERIZER_V2_INPUTS);
  mkdirSync(dirname(args.out), { recursive: true });
  const cubesPath = `${args.out}.cubes.f32`;
  // 'wx': never overwrite a file this run did not create.
  const fd = openSync(cubesPath, 'wx');
  try {
    const buf = new Float32Array(per);
    for (const c of s1.candidates) {
      extractCandidateCubes(volume, c.centre, CHARACTERIZER_V2_INPUTS, HU_WINDOW, buf);
      writeSync(fd, new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
    }
  } finally {
    closeSync(fd);
  }
  lap('cubes');
  const r3 = (v: number) => Math.round(v * 1000) / 1000;
  const doc = {
    seriesInstanceUid: series.metadata.seriesInstanceUid,
    sliceThicknessMm: series.metadata.sliceThicknessMm ?? volume.spacingMm[2],
    candidates: s1.candidates.map((c) => ({
      world: voxelToWorld(volume, c.centre).map(r3),
      voxel: c.centre.map(r3),
      source: c.source,
      scaleMm: r3(c.scaleMm),
      blobScore: c.blobScore === null ? null : r3(c.blobScore),
      unetScore: c.unetScore === null ? null : r3(c.unetScore),
    })),
    timingsMs,
  };
  writeFileSync(`${args.out}.json`, `${JSON.stringify(doc)}\n`, { flag: 'wx' });
  await releaseRuntimes();
  process.stderr.write(
    `${s1.candidates.length} candidates (${s1.blobs.length} blobs, ${s1.unet.length} U-Net) -> ${cubesPath}\n`,
  );
}

main().catch((e: unknown) => {
  const pe = e instanceof PulmoLensError ? e : null;
  process.stderr.write(
    `mine_candidates: ${pe ? `${pe.code}: ` : ''}${(e as Error).message}${pe?.path ? ` (${pe.path})` : ''}\n`,
  );
  process.exit(1);
});
