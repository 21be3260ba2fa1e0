/**
 * The thickness candidates (src/core/inference/thickness-peaks.ts) the app adds to a mined series'
 * stage-1 candidates when stage 1's thickness source is on, with their characterizer cubes: the
 * app's list with the source on is exactly the mined list followed by these (the source only adds
 * candidates, after the blob and U-Net ones, deduplicated against them), so a study of the source
 * needs this delta only, not the whole series mined again (~10 s a series instead of ~45: no U-Net).
 *
 *   node --import tsx training/mine_thickness.ts <dicom-folder> --mined <prefix> --out <prefix> [--quota N]
 *       [--near MIN,MAX]
 *
 * --mined names the series' mine_candidates.ts output (its candidates' `voxel`s are the app's
 * candidates); the output has mine_candidates.ts's format (source 'thickness', blobScore and
 * unetScore null), thickest first, so its first n are the delta at quota n.
 *
 * --near MIN,MAX (session 27) mines stage 1's second centres instead (stage1.ts secondCentres:
 * every peak whose nearest mined candidate is more than MIN and at most MAX mm away; no quota).
 *
 * --positions FILE (session 29) mines the stage-1 candidates of the series' regridded copies
 * (copy_positions.ts, world mm) that are new to it: in the lung core, more than 1.5 mm from every
 * mined candidate and from each other, the first --quota of them; cubes from the series itself. Real negatives at the
 * positions a scan stored otherwise puts candidates.
 */
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadSeries, scanDicomInputs } from '../src/core/dicom';
import { PulmoLensError } from '../src/common/errors';
import { CHARACTERIZER_V2_INPUTS, cubeValues, extractCandidateCubes } from '../src/core/inference/cubes';
import { shippedModelsDir } from '../src/core/inference/config';
import { loadManifest } from '../src/core/inference/manifest';
import { coarseLungMask, inLungCore } from '../src/core/inference/lung-mask';
import {
  awayFromCuts,
  lungCuts,
  secondCentres,
  THICKNESS_QUOTA,
  thicknessCandidates,
  type Stage1Candidate,
} from '../src/core/inference/stage1';
import { thicknessPeaks } from '../src/core/inference/thickness-peaks';
import { voxelToWorld, worldToVoxel, type Vec3, type Volume } from '../src/common/volume';
import type { ResampleGrid } from '../src/core/inference/grid';

const HU_WINDOW: [number, number] = [-1000, 400];

interface Args {
  folder: string;
  mined: string;
  out: string;
  quota: number;
  near: [number, number] | null;
  /** Session 29: candidates at these world positions (copy_positions.ts) instead of thickness peaks. */
  positions: string | null;
}

function parseArgs(argv: string[]): Args {
  let folder: string | undefined;
  let mined: string | undefined;
  let out: string | undefined;
  let quota = THICKNESS_QUOTA;
  let near: [number, number] | null = null;
  let positions: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--mined') mined = argv[++i];
    else if (a === '--out') out = argv[++i];
    else if (a === '--positions') positions = resolve(argv[++i] ?? '');
    else if (a === '--quota') {
      quota = Number(argv[++i]);
      if (!Number.isInteger(quota) || quota < 1)
        throw new PulmoLensError('INVALID_INPUT', '--quota wants a positive integer');
    } else if (a === '--near') {
      const v = (argv[++i] ?? '').split(',').map(Number);
      if (v.length !== 2 || !(v[0]! >= 0 && v[1]! > v[0]!))
        throw new PulmoLensError('INVALID_INPUT', '--near wants MIN,MAX in mm with 0 <= MIN < MAX');
      near = [v[0]!, v[1]!];
    } else if (a.startsWith('--')) throw new PulmoLensError('INVALID_INPUT', `unknown option ${a}`);
    else folder = a;
  }
  if (!folder || !mined || !out) {
    throw new PulmoLensError(
      'INVALID_INPUT',
      'usage: mine_thickness.ts <dicom-folder> --mined <prefix> --out <prefix> [--quota N] [--near MIN,MAX | --positions FILE]',
    );
  }
  return { folder: resolve(folder), mined: resolve(mined), out: resolve(out), quota, near, positions };
}

/** copy_positions.ts's output: stage-1 candidates of a series' copies, in world mm. */
interface PositionsFile {
  candidates: { world: Vec3; source: Stage1Candidate['source']; scaleMm: number }[];
}

/** Positions more than SAME_POSITION_MM from every candidate already mined and from each other. */
const SAME_POSITION_MM = 1.5;

/**
 * The positions of `file` on this series' grid that are new: inside the lung core, and more than
 * SAME_POSITION_MM from the series' mined candidates and from each other (first one kept).
 */
function atPositions(
  file: PositionsFile,
  existing: { centre: Vec3 }[],
  volume: Volume,
  core: Uint8Array,
  coarse: ResampleGrid,
): Stage1Candidate[] {
  const inCore = inLungCore(coarse, { core });
  const taken = existing.map((c) => c.centre);
  const out: Stage1Candidate[] = [];
  const far = (v: Vec3) =>
    taken.every(
      (t) =>
        Math.hypot(
          (t[0] - v[0]) * volume.spacingMm[0],
          (t[1] - v[1]) * volume.spacingMm[1],
          (t[2] - v[2]) * volume.spacingMm[2],
        ) > SAME_POSITION_MM,
    );
  for (const c of file.candidates) {
    const v = worldToVoxel(volume, c.world);
    if (v.some((x, a) => x < 0 || x > volume.dims[a]! - 1) || !inCore(v[0], v[1], v[2]) || !far(v)) continue;
    taken.push(v);
    out.push({ centre: v, source: c.source, scaleMm: c.scaleMm, blobScore: null, unetScore: null });
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  const base = JSON.parse(readFileSync(`${args.mined}.json`, 'utf8')) as {
    seriesInstanceUid: string;
    candidates: { voxel: Vec3 }[];
  };
  const scan = await scanDicomInputs([args.folder]);
  const series = [...scan.series].sort((a, b) => b.slices - a.slices)[0];
  if (!series) throw new PulmoLensError('DICOM_NO_IMAGE', 'no image series found', { path: args.folder });
  if (series.metadata.seriesInstanceUid !== base.seriesInstanceUid) {
    throw new PulmoLensError(
      'INVALID_INPUT',
      `${args.mined}.json was mined from series ${base.seriesInstanceUid}, not ${series.metadata.seriesInstanceUid}`,
      { path: args.folder },
    );
  }
  const { volume } = await loadSeries(series);
  // The lung mask exactly as runStage1 makes it: twice the detector's spacing.
  const det = (await loadManifest(shippedModelsDir())).detector.spacingMm;
  const { coarse, lung, fovCut } = coarseLungMask(volume, [det[0] * 2, det[1] * 2, det[2] * 2]);
  const existing = base.candidates.map((c) => ({ centre: c.voxel }));
  const peaks = thicknessPeaks(volume, { core: lung.core, grid: coarse });
  // As runStage1: nothing where the field of view or a series end cuts the lungs.
  const cuts = lungCuts(volume, coarse, lung, fovCut);
  const made = args.positions
    ? atPositions(
        JSON.parse(readFileSync(args.positions, 'utf8')) as PositionsFile,
        existing,
        volume,
        lung.core,
        coarse,
      )
    : args.near
      ? secondCentres(existing, peaks, volume.spacingMm, args.near)
      : thicknessCandidates(existing, peaks, volume.spacingMm, args.quota);
  const kept = awayFromCuts(made, cuts, volume.spacingMm).kept;
  // Thickness peaks come quota-limited already; positions take the file's first `quota` new ones.
  const added = args.positions ? kept.slice(0, args.quota) : kept;
  const per = cubeValues(CHARACTERIZER_V2_INPUTS);
  mkdirSync(dirname(args.out), { recursive: true });
  const fd = openSync(`${args.out}.cubes.f32`, 'wx');
  try {
    const buf = new Float32Array(per);
    for (const c of added) {
      extractCandidateCubes(volume, c.centre, CHARACTERIZER_V2_INPUTS, HU_WINDOW, buf);
      writeSync(fd, new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
    }
  } finally {
    closeSync(fd);
  }
  const r3 = (v: number) => Math.round(v * 1000) / 1000;
  const doc = {
    seriesInstanceUid: base.seriesInstanceUid,
    sliceThicknessMm: series.metadata.sliceThicknessMm ?? volume.spacingMm[2],
    candidates: added.map((c) => ({
      world: voxelToWorld(volume, c.centre).map(r3),
      voxel: c.centre.map(r3),
      source: c.source,
      scaleMm: r3(c.scaleMm),
      blobScore: null,
      unetScore: null,
    })),
    timingsMs: { all: Math.round(performance.now() - t0) },
  };
  writeFileSync(`${args.out}.json`, `${JSON.stringify(doc)}\n`, { flag: 'wx' });
  process.stderr.write(`${added.length} thickness candidates -> ${args.out}.cubes.f32\n`);
}

main().catch((e: unknown) => {
  const pe = e instanceof PulmoLensError ? e : null;
  process.stderr.write(
    `mine_thickness: ${pe ? `${pe.code}: ` : ''}${(e as Error).message}${pe?.path ? ` (${pe.path})` : ''}\n`,
  );
  process.exit(1);
});
