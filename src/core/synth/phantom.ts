/**
 * generatePhantom: a seeded synthetic chest CT with inserted nodules and their ground truth.
 * The same seed and options always give the same voxels, on every platform.
 */
import { PulmoLensError } from '../../common/errors';
import { voxelToWorld, worldToVoxel, type Vec3, type Volume } from '../../common/volume';
import { anatomyHu, randomAnatomy, type ChestAnatomy } from './anatomy';
import { blurAxis, boxFor, gaussianNoiseGain, rasterize, segmentDistance, type WorldGrid } from './grid';
import {
  drawNodule,
  placeNodule,
  sampleShape,
  type NoduleLocation,
  type NoduleMargin,
  type NoduleRequest,
  type PlacedNodule,
} from './nodules';
import type { NoduleType } from '../../common/findings/findings-document';
import { createRng } from './prng';
import { buildTrees, type TubeSegment } from './trees';
import { dot, sub } from './vec';

export type PhantomSize = 'small' | 'full';

export interface PhantomOptions {
  seed: number;
  /** Number of nodules to insert (default 6). */
  nodules?: number;
  /** Explicit nodule requests; missing fields are drawn at random. Overrides `nodules`. */
  noduleRequests?: NoduleRequest[];
  /** small: 256x256 at 1.4 mm, 3 mm slices; full: 512x512 at ~0.7 mm, 2.5 mm slices. */
  size?: PhantomSize;
  /** Override the grid: [columns, rows, slices] and spacing [x, y, z] mm. */
  dims?: Vec3;
  spacingMm?: Vec3;
  /** Image noise standard deviation in lung and soft tissue, HU (default 15). */
  noiseHu?: number;
  /** In-plane point-spread function FWHM, mm (default 1.1). */
  psfFwhmMm?: number;
}

export interface NoduleTruth {
  id: number;
  centerLps: Vec3;
  centerVoxel: Vec3;
  diameterMm: number;
  type: NoduleType;
  spiculated: boolean;
  margin: NoduleMargin;
  location: NoduleLocation;
  /** Diameter of the solid component (part-solid only), else null. */
  solidCoreMm: number | null;
  lung: 'right' | 'left';
}

export interface Phantom {
  volume: Volume;
  nodules: NoduleTruth[];
  seed: number;
}

const PRESETS: Record<PhantomSize, { dims: Vec3; spacingMm: Vec3 }> = {
  small: { dims: [256, 256, 100], spacingMm: [1.4, 1.4, 3] },
  full: { dims: [512, 512, 120], spacingMm: [0.703125, 0.703125, 2.5] },
};

function validate(opts: PhantomOptions, dims: Vec3, spacing: Vec3): void {
  const bad = (why: string): never => {
    throw new PulmoLensError('INVALID_INPUT', `synthetic phantom: ${why}`, { details: { ...opts } });
  };
  if (!Number.isInteger(opts.seed) || opts.seed < 0 || opts.seed > 0xffffffff)
    bad('seed must be an integer 0..2^32-1');
  if (
    opts.nodules !== undefined &&
    (!Number.isInteger(opts.nodules) || opts.nodules < 0 || opts.nodules > 40)
  ) {
    bad('nodules must be an integer 0..40');
  }
  if (!dims.every((d) => Number.isInteger(d) && d >= 8 && d <= 1024)) bad('dims must be integers 8..1024');
  if (!spacing.every((s) => s >= 0.2 && s <= 10)) bad('spacing must be 0.2..10 mm');
}

function drawTube(g: WorldGrid, s: TubeSegment, wallHu: number): void {
  const ab = sub(s.b, s.a);
  const len2 = dot(ab, ab);
  const rMax = Math.max(s.ra, s.rb) + (s.kind === 'airway' ? 2 : 0) + 1.5;
  const lo: Vec3 = [
    Math.min(s.a[0], s.b[0]) - rMax,
    Math.min(s.a[1], s.b[1]) - rMax,
    Math.min(s.a[2], s.b[2]) - rMax,
  ];
  const hi: Vec3 = [
    Math.max(s.a[0], s.b[0]) + rMax,
    Math.max(s.a[1], s.b[1]) + rMax,
    Math.max(s.a[2], s.b[2]) + rMax,
  ];
  const box = boxFor(g, lo, hi);
  if (!box) return;
  const dist = (extra: (r: number) => number) => (x: number, y: number, z: number) => {
    const { d, t } = segmentDistance(x, y, z, s.a, ab, len2);
    const r = s.ra + t * (s.rb - s.ra);
    return d - r - extra(r);
  };
  if (s.kind === 'vessel') {
    rasterize(
      g,
      box,
      0.8,
      'max',
      dist(() => 0),
      () => 40,
    );
  } else {
    rasterize(
      g,
      box,
      0.8,
      'max',
      dist((r) => Math.max(0.6, 0.18 * r)),
      () => wallHu,
    );
    rasterize(
      g,
      box,
      0.8,
      'min',
      dist(() => 0),
      () => -990,
    );
  }
}

export function generatePhantom(opts: PhantomOptions): Phantom {
  const preset = PRESETS[opts.size ?? 'small'];
  const dims: Vec3 = opts.dims ?? preset.dims;
  const spacing: Vec3 = opts.spacingMm ?? preset.spacingMm;
  validate(opts, dims, spacing);
  const rng = createRng(opts.seed);
  const anatomy: ChestAnatomy = randomAnatomy(rng.fork('anatomy'));
  const [nx, ny, nz] = dims;
  // Centre the grid in x/y on the body and in z on the lungs.
  const zMid = (anatomy.lungs[0].zApex + anatomy.lungs[0].zBase) / 2 + 5;
  const origin: Vec3 = [
    -((nx - 1) * spacing[0]) / 2,
    -((ny - 1) * spacing[1]) / 2,
    zMid - ((nz - 1) * spacing[2]) / 2,
  ];
  const g: WorldGrid = { dims, spacing, origin, data: new Float32Array(nx * ny * nz) };

  for (let k = 0; k < nz; k++) {
    const z = origin[2] + k * spacing[2];
    for (let j = 0; j < ny; j++) {
      const y = origin[1] + j * spacing[1];
      let idx = j * nx + k * nx * ny;
      for (let i = 0; i < nx; i++, idx++) g.data[idx] = anatomyHu(anatomy, origin[0] + i * spacing[0], y, z);
    }
  }

  const zTop = origin[2] + (nz - 1) * spacing[2];
  const segs = buildTrees(anatomy, rng.fork('trees'), zTop);
  for (const s of segs) if (s.kind === 'airway') drawTube(g, s, -80);
  for (const s of segs) if (s.kind === 'vessel') drawTube(g, s, 40);

  const noduleRng = rng.fork('nodules');
  const requests: NoduleRequest[] =
    opts.noduleRequests ?? Array.from({ length: opts.nodules ?? 6 }, () => ({}));
  const bounds = { lo: origin, hi: voxelToWorld(geometryOf(g), [nx - 1, ny - 1, nz - 1]) };
  const placed: PlacedNodule[] = [];
  for (const req of requests) {
    for (let tries = 0; tries < 20; tries++) {
      const n = placeNodule(anatomy, segs, sampleShape(noduleRng, req), placed, bounds, noduleRng);
      if (n) {
        placed.push(n);
        break;
      }
    }
  }
  for (const n of placed) drawNodule(g, n);

  // Scanner: correlated noise (white noise shaped by the PSF), then the PSF itself.
  const psfSigmaMm = (opts.psfFwhmMm ?? 1.1) / 2.3548;
  const sx = psfSigmaMm / spacing[0];
  const sy = psfSigmaMm / spacing[1];
  const sz = psfSigmaMm / spacing[2];
  const gain = gaussianNoiseGain(sx) * gaussianNoiseGain(sy) * gaussianNoiseGain(sz);
  const noiseStd = (opts.noiseHu ?? 15) / gain;
  const noiseRng = rng.fork('noise');
  const data = g.data;
  for (let p = 0; p < data.length; p++) data[p]! += noiseStd * noiseRng.normal();
  blurAxis(g, 0, sx);
  blurAxis(g, 1, sy);
  blurAxis(g, 2, sz);

  const hu = new Int16Array(data.length);
  for (let p = 0; p < data.length; p++) {
    const v = Math.round(data[p]!);
    hu[p] = v < -1024 ? -1024 : v > 3071 ? 3071 : v;
  }
  const geometry = geometryOf(g);
  const nodules: NoduleTruth[] = placed.map((n, id) => ({
    id: id + 1,
    centerLps: n.centre.map((v) => round3(v)) as Vec3,
    centerVoxel: worldToVoxel(geometry, n.centre).map((v) => round3(v)) as Vec3,
    diameterMm: n.diameterMm,
    type: n.type,
    spiculated: n.margin === 'spiculated',
    margin: n.margin,
    location: n.location,
    solidCoreMm: n.solidCoreMm,
    lung: n.lung === 0 ? 'right' : 'left',
  }));
  return { volume: { ...geometry, hu }, nodules, seed: opts.seed };
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

function geometryOf(g: WorldGrid): Omit<Volume, 'hu'> {
  return { dims: g.dims, spacingMm: g.spacing, originLps: g.origin, direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
}
