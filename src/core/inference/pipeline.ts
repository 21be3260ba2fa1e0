import type { Progress, SeriesMetadata } from '../dicom/types';
import { PulmoLensError } from '../errors';
import { brockRisk, NODULE_COUNT_LEVEL, type Sex } from '../findings/brock';
import type { Finding, FindingsDocument, NoduleType } from '../findings/findings-document';
import { fleischnerRecommendation, type FleischnerRisk } from '../findings/fleischner';
import { lungRadsCategory } from '../findings/lung-rads';
import { measureRegion, thresholdRegion, type NoduleMeasurements } from '../findings/measurements';
import { patientAgeYears, patientSex } from '../findings/patient';
import { voxelToWorld, worldToVoxel, type Vec3, type Volume, type VolumeGeometry } from '../volume/volume';
import { findCandidates } from './candidates';
import { extractCube } from './cubes';
import { axisTable, gridFor, gridToVolume, huScaler, resampleSlab, type Grid } from './grid';
import { lungMaskFromHu } from './lung-mask';
import type { ProviderAttempt, ProviderChoice } from './providers';
import { getRuntime, type ModelRuntime } from './runtime';
import { segmentCandidate } from './segment';
import { coverage, gaussianWeights, tileStarts } from './sliding-window';

/** Patient facts the DICOM header does not hold (or that the user corrects). */
export interface ClinicalInputs {
  ageYears?: number;
  sex?: Sex;
  familyHistory?: boolean;
  emphysema?: boolean;
  /** Fleischner clinical risk; 'unknown' (default) reports the low- and high-risk rows. */
  fleischnerRisk?: FleischnerRisk;
}

export interface AnalyzeOptions {
  provider?: ProviderChoice;
  /** Lowest detector probability that makes a candidate (default 0.1). */
  threshold?: number;
  clinical?: ClinicalInputs;
  /** Folder with manifest.json and the models (default: models/ or PULMOLENS_MODELS_DIR). */
  modelsDir?: string;
  maxCandidates?: number;
  /**
   * Fraction of a patch that neighbouring sliding windows share. Default 0.5 on a GPU; 0.25 on
   * the CPU, where 50% overlap computes every voxel 8 times and a 2-core machine misses the
   * one-minute budget (25%: about 2.4 times). Pass it explicitly for reproducible evaluations.
   */
  overlap?: number;
}

/** The detector's probability on the volume's own grid: probability = data[v] / 255. */
export interface Heatmap extends VolumeGeometry {
  data: Uint8Array;
}

export interface AnalysisResult {
  document: FindingsDocument;
  heatmap: Heatmap;
  providerAttempts: ProviderAttempt[];
  warnings: string[];
  /** Largest resident set size seen between stages (bytes). */
  peakRssBytes: number;
}

export type SeriesHeader = Pick<
  SeriesMetadata,
  'seriesInstanceUid' | 'patientAge' | 'patientSex' | 'patientBirthDate' | 'studyDate'
>;

export interface PipelineContext {
  onProgress?: (p: Progress) => void;
  /** Throws a CANCELLED PulmoLensError when the caller has given up. */
  checkCancelled?: () => void;
}

export const DEFAULT_THRESHOLD = 0.1;
const SOLID_COMPONENT_HU = -300;

const round = (v: number, d: number) => {
  const f = 10 ** d;
  return Math.round(v * f) / f;
};

/** The whole analysis of one HU volume, in the calling thread (the worker calls this). */
export async function runAnalysis(
  volume: Volume,
  header: SeriesHeader,
  opts: AnalyzeOptions = {},
  ctx: PipelineContext = {},
): Promise<AnalysisResult> {
  const check = ctx.checkCancelled ?? (() => undefined);
  const progress = (stage: string, done: number, total: number) => ctx.onProgress?.({ stage, done, total });
  const timings: Record<string, number> = {};
  const warnings: string[] = [];
  let peakRss = process.memoryUsage().rss;
  const t0 = performance.now();
  let last = t0;
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = round(now - last, 1);
    last = now;
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    check();
  };
  const threshold = opts.threshold ?? DEFAULT_THRESHOLD;
  if (!(threshold > 0 && threshold < 1)) {
    throw new PulmoLensError('INVALID_INPUT', `threshold must be between 0 and 1, got ${threshold}`);
  }
  const [vx, vy, vz] = volume.dims;
  if (volume.hu.length !== vx * vy * vz || vx < 2 || vy < 2 || vz < 2) {
    throw new PulmoLensError(
      'INVALID_INPUT',
      `volume ${vx}x${vy}x${vz} cannot be analysed (needs at least 2 voxels per axis)`,
    );
  }

  progress('loading models', 0, 1);
  const rt = await getRuntime(opts.modelsDir, opts.provider);
  const det = rt.manifest.detector;
  lap('loadModels');

  // Lung mask on a grid twice as coarse as the model's: the volume it needs is 1/8 of the model grid.
  progress('lung mask', 0, 1);
  const grid = gridFor(volume, det.spacingMm);
  const coarseSpacing: Vec3 = [det.spacingMm[0] * 2, det.spacingMm[1] * 2, det.spacingMm[2] * 2];
  const coarse = gridFor(volume, coarseSpacing);
  const coarseHu = resampleSlab(
    volume.hu,
    volume.dims,
    coarse,
    0,
    coarse.dims[2],
    new Float32Array(coarse.dims[0] * coarse.dims[1] * coarse.dims[2]),
  );
  const lung = lungMaskFromHu(coarseHu, coarse.dims, coarseSpacing);
  if (!lung.found) warnings.push('no lung found by the HU lung mask; the whole volume was searched');
  progress('lung mask', 1, 1);
  lap('lungMask');

  const overlap = opts.overlap ?? (rt.detector.provider === 'cpu' ? 0.25 : 0.5);
  if (!(overlap >= 0 && overlap < 1)) {
    throw new PulmoLensError('INVALID_INPUT', `overlap must be in [0, 1), got ${overlap}`);
  }
  const prob = await detect(volume, grid, coarse, lung.mask, rt, overlap, progress, check);
  lap('detect');

  progress('heatmap', 0, 1);
  const heatmap = mapBack(prob, grid, volume);
  progress('heatmap', 1, 1);
  lap('heatmap');

  progress('candidates', 0, 1);
  const candidates = findCandidates(prob, grid.dims, {
    threshold,
    spacingMm: det.spacingMm,
    maxCandidates: opts.maxCandidates ?? 200,
  });
  progress('candidates', 1, 1);
  lap('candidates');

  const chars = await characterize(
    volume,
    candidates.map((c) => gridToVolume(grid, c.centre)),
    rt,
    progress,
    check,
  );
  lap('characterize');

  const [lcx, lcy] = coarse.dims;
  const inLung = (i: number, j: number, k: number) =>
    lung.core[
      Math.min(lcx - 1, Math.round(i / coarse.step[0])) +
        Math.min(lcy - 1, Math.round(j / coarse.step[1])) * lcx +
        Math.min(coarse.dims[2] - 1, Math.round(k / coarse.step[2])) * lcx * lcy
    ] === 1;
  const measured: Array<{
    centre: Vec3;
    probability: number;
    type: NoduleType;
    spiculated: boolean;
    m: NoduleMeasurements;
    solidMm: number;
  }> = [];
  for (let n = 0; n < candidates.length; n++) {
    progress('segmentation', n, candidates.length);
    const c = candidates[n]!;
    const ch = chars[n]!;
    const centre = gridToVolume(grid, c.centre);
    const region = segmentCandidate(volume, {
      centre,
      type: ch.type,
      heat: heatmap.data,
      extentMm: c.extentMm,
      inLung,
    });
    let m = measureRegion(region, volume);
    if (m.voxelCount === 0) {
      // Nothing to outline at this spot: fall back to the detector's own size estimate.
      const d = Math.max(c.extentMm, 1);
      const ci = centre.map(Math.round) as Vec3;
      m = {
        longAxisMm: d,
        shortAxisMm: d,
        meanDiameterMm: d,
        volumeMm3: (Math.PI / 6) * d ** 3,
        meanHu: volume.hu[ci[0] + ci[1] * vx + ci[2] * vx * vy] ?? Number.NaN,
        voxelCount: 0,
        axialSlice: ci[2],
        centroidVoxel: centre,
      };
    }
    const solid =
      ch.type === 'part-solid'
        ? measureRegion(thresholdRegion(region, volume, SOLID_COMPONENT_HU), volume)
        : m;
    measured.push({
      centre: m.voxelCount > 0 ? m.centroidVoxel : centre,
      // The score the training pipeline evaluates with (models/manifest.json): detector peak x p_nodule.
      probability: c.peak * ch.pNodule,
      type: ch.type,
      spiculated: ch.spiculated,
      m,
      solidMm: solid.meanDiameterMm,
    });
    if (n % 8 === 0) check();
  }
  progress('segmentation', candidates.length, candidates.length);
  // Several detector maxima on one large nodule converge on the same segmentation: keep the
  // strongest and merge any other whose centre lies within its radius (at least 3 mm).
  measured.sort((a, b) => b.probability - a.probability);
  const [msx, msy, msz] = volume.spacingMm;
  const distinct = measured.filter((f, n) =>
    measured.slice(0, n).every((g) => {
      const d = Math.hypot(
        (f.centre[0] - g.centre[0]) * msx,
        (f.centre[1] - g.centre[1]) * msy,
        (f.centre[2] - g.centre[2]) * msz,
      );
      return d >= Math.max(g.m.meanDiameterMm / 2, 3);
    }),
  );
  measured.length = 0;
  measured.push(...distinct);
  lap('segment');

  const cl = opts.clinical ?? {};
  const dicomAge = patientAgeYears(header.patientAge, header.patientBirthDate, header.studyDate);
  const age = cl.ageYears ?? dicomAge;
  if (age === null) warnings.push('patient age unknown (no PatientAge/BirthDate); Brock risk uses 62 years');
  const sex = cl.sex ?? patientSex(header.patientSex);
  if (sex === null) warnings.push('patient sex unknown; Brock risk uses the male reference category');
  const noduleCount = Math.max(1, measured.filter((f) => f.probability >= NODULE_COUNT_LEVEL).length);
  const superior = lungSuperiorRange(lung.mask, coarse, volume);

  const findings: Finding[] = measured.map((f) => {
    const world = voxelToWorld(volume, f.centre);
    const centerLps = world.map((v) => round(v, 3)) as Vec3;
    const upperLobe = (world[2] - superior.lo) / Math.max(superior.hi - superior.lo, 1e-6) >= 0.5;
    const risk = brockRisk({
      ageYears: age ?? 62,
      sex: sex ?? 'male',
      familyHistory: cl.familyHistory ?? false,
      emphysema: cl.emphysema ?? false,
      noduleSizeMm: Math.max(f.m.longAxisMm, 0.1),
      type: f.type,
      upperLobe,
      noduleCount,
      spiculated: f.spiculated,
    });
    return {
      id: '',
      centerLps,
      // Derived from the written LPS, so round(worldToVoxel(centerLps)) === centerVoxel holds exactly.
      centerVoxel: worldToVoxel(volume, centerLps).map((v) => Math.round(v)) as Vec3,
      probability: round(f.probability, 4),
      diameterMm: round(f.m.meanDiameterMm, 1),
      longAxisMm: round(f.m.longAxisMm, 1),
      shortAxisMm: round(f.m.shortAxisMm, 1),
      volumeMm3: round(f.m.volumeMm3, 1),
      meanHu: round(f.m.meanHu, 1),
      type: f.type,
      spiculated: f.spiculated,
      malignancyRisk: round(risk, 4),
      lungRads: lungRadsCategory({
        type: f.type,
        meanDiameterMm: f.m.meanDiameterMm,
        solidComponentMm: f.solidMm,
        spiculated: f.spiculated,
      }),
      fleischner: fleischnerRecommendation({
        type: f.type,
        meanDiameterMm: f.m.meanDiameterMm,
        multiple: noduleCount > 1,
        risk: cl.fleischnerRisk ?? 'unknown',
      }),
    };
  });
  findings.sort((a, b) => b.probability - a.probability);
  findings.forEach((f, i) => (f.id = `F${String(i + 1).padStart(3, '0')}`));
  lap('risk');
  timings.total = round(performance.now() - t0, 1);

  return {
    document: {
      seriesInstanceUid: header.seriesInstanceUid,
      model: { name: det.name, version: det.version, sha256: det.sha256 },
      executionProvider: rt.detector.provider,
      timingsMs: timings,
      findings,
    },
    heatmap,
    providerAttempts: rt.detector.attempts,
    warnings,
    peakRssBytes: peakRss,
  };
}

/**
 * Sliding-window detection on the model grid, one slab of tile rows at a time: only the scaled
 * input of the current slab and the probability accumulator exist at full model-grid size. Tiles
 * that hold no lung are skipped. Returns probability x lung mask on the model grid.
 */
async function detect(
  volume: Volume,
  grid: Grid,
  coarse: Grid,
  mask: Uint8Array,
  rt: ModelRuntime,
  overlap: number,
  progress: (stage: string, done: number, total: number) => void,
  check: () => void,
): Promise<Float32Array> {
  const det = rt.manifest.detector;
  const [pz, py, px] = det.patchSize;
  const [gx, gy, gz] = grid.dims;
  const stride = (p: number) => Math.max(1, Math.round(p * (1 - overlap)));
  const zs = tileStarts(gz, pz, stride(pz));
  const ys = tileStarts(gy, py, stride(py));
  const xs = tileStarts(gx, px, stride(px));
  const wz = gaussianWeights(pz);
  const wy = gaussianWeights(py);
  const wx = gaussianWeights(px);
  const plane = gx * gy;
  const acc = new Float32Array(plane * gz);
  const scale = huScaler(det.huWindow);
  const pad = scale(-1000);
  const [cx, cy] = coarse.dims;
  // Model grid index -> coarse grid index (nearest), per axis.
  const toCoarse = (n: number, a: 0 | 1 | 2) =>
    Math.min(coarse.dims[a] - 1, Math.round((n * grid.step[a]) / coarse.step[a]));
  const cxOf = Int32Array.from({ length: gx }, (_, i) => toCoarse(i, 0));
  const cyOf = Int32Array.from({ length: gy }, (_, i) => toCoarse(i, 1));
  const czOf = Int32Array.from({ length: gz }, (_, i) => toCoarse(i, 2));
  const hasLung = (x0: number, y0: number, z0: number) => {
    const xa = cxOf[x0]!;
    const xb = cxOf[Math.min(gx, x0 + px) - 1]!;
    const ya = cyOf[y0]!;
    const yb = cyOf[Math.min(gy, y0 + py) - 1]!;
    const za = czOf[z0]!;
    const zb = czOf[Math.min(gz, z0 + pz) - 1]!;
    for (let z = za; z <= zb; z++)
      for (let y = ya; y <= yb; y++)
        for (let x = xa; x <= xb; x++) if (mask[x + y * cx + z * cx * cy]) return true;
    return false;
  };
  const total = zs.length * ys.length * xs.length;
  let done = 0;
  const patch = new Float32Array(pz * py * px);
  for (const z0 of zs) {
    const z1 = Math.min(gz, z0 + pz);
    const rows = ys
      .flatMap((y0) => xs.map((x0) => [y0, x0] as const))
      .filter(([y0, x0]) => hasLung(x0, y0, z0));
    done += ys.length * xs.length - rows.length;
    if (rows.length === 0) continue;
    const slab = resampleSlab(
      volume.hu,
      volume.dims,
      grid,
      z0,
      z1,
      new Float32Array(plane * (z1 - z0)),
      scale,
    );
    for (const [y0, x0] of rows) {
      check();
      patch.fill(pad);
      for (let z = 0; z < z1 - z0; z++)
        for (let y = 0; y < py && y0 + y < gy; y++) {
          const src = z * plane + (y0 + y) * gx + x0;
          const n = Math.min(px, gx - x0);
          patch.set(slab.subarray(src, src + n), z * py * px + y * px);
        }
      const out = await rt.detect(patch, [pz, py, px]);
      for (let z = 0; z < z1 - z0; z++)
        for (let y = 0; y < py && y0 + y < gy; y++) {
          const w = wz[z]! * wy[y]!;
          const dst = (z0 + z) * plane + (y0 + y) * gx + x0;
          const src = z * py * px + y * px;
          for (let x = 0; x < px && x0 + x < gx; x++) acc[dst + x]! += out[src + x]! * w * wx[x]!;
        }
      done++;
      progress('detection', done, total);
    }
  }
  progress('detection', total, total);
  const cz = coverage(gz, zs, wz);
  const cyv = coverage(gy, ys, wy);
  const cxv = coverage(gx, xs, wx);
  for (let z = 0; z < gz; z++) {
    const mz = czOf[z]! * cx * cy;
    for (let y = 0; y < gy; y++) {
      const my = mz + cyOf[y]! * cx;
      const n = cz[z]! * cyv[y]!;
      const base = z * plane + y * gx;
      for (let x = 0; x < gx; x++) {
        acc[base + x] = mask[my + cxOf[x]!] ? acc[base + x]! / (n * cxv[x]!) : 0;
      }
    }
  }
  return acc;
}

/** Trilinear resampling of the model-grid probability onto the volume grid, as bytes (p * 255). */
function mapBack(prob: Float32Array, grid: Grid, volume: Volume): Heatmap {
  const [vx, vy, vz] = volume.dims;
  const [gx, gy, gz] = grid.dims;
  const inv = (a: 0 | 1 | 2) => 1 / grid.step[a];
  const tx = axisTable(vx, inv(0), gx);
  const ty = axisTable(vy, inv(1), gy);
  const tz = axisTable(vz, inv(2), gz);
  const data = new Uint8Array(vx * vy * vz);
  const plane = gx * gy;
  let o = 0;
  for (let k = 0; k < vz; k++) {
    const k0 = tz.lo[k]! * plane;
    const k1 = tz.hi[k]! * plane;
    const wzk = tz.w[k]!;
    for (let j = 0; j < vy; j++) {
      const j0 = ty.lo[j]! * gx;
      const j1 = ty.hi[j]! * gx;
      const wyj = ty.w[j]!;
      const a00 = k0 + j0;
      const a01 = k0 + j1;
      const a10 = k1 + j0;
      const a11 = k1 + j1;
      for (let i = 0; i < vx; i++) {
        const i0 = tx.lo[i]!;
        const i1 = tx.hi[i]!;
        const wxi = tx.w[i]!;
        const p00 = prob[a00 + i0]!;
        const q00 = prob[a00 + i1]!;
        const p01 = prob[a01 + i0]!;
        const q01 = prob[a01 + i1]!;
        const p10 = prob[a10 + i0]!;
        const q10 = prob[a10 + i1]!;
        const p11 = prob[a11 + i0]!;
        const q11 = prob[a11 + i1]!;
        // Most of a scan is outside the lung mask, where all eight neighbours are exactly 0.
        if (p00 + q00 + p01 + q01 + p10 + q10 + p11 + q11 === 0) {
          o++;
          continue;
        }
        const c00 = p00 + (q00 - p00) * wxi;
        const c01 = p01 + (q01 - p01) * wxi;
        const c10 = p10 + (q10 - p10) * wxi;
        const c11 = p11 + (q11 - p11) * wxi;
        const c0 = c00 + (c01 - c00) * wyj;
        const c1 = c10 + (c11 - c10) * wyj;
        data[o++] = Math.round(Math.min(1, Math.max(0, c0 + (c1 - c0) * wzk)) * 255);
      }
    }
  }
  return {
    dims: [...volume.dims],
    spacingMm: [...volume.spacingMm],
    originLps: [...volume.originLps],
    direction: [...volume.direction],
    data,
  };
}

interface Character {
  pNodule: number;
  type: NoduleType;
  spiculated: boolean;
}

async function characterize(
  volume: Volume,
  centres: Vec3[],
  rt: ModelRuntime,
  progress: (stage: string, done: number, total: number) => void,
  check: () => void,
): Promise<Character[]> {
  const c = rt.manifest.characterizer;
  const per = c.cubeSize[0] * c.cubeSize[1] * c.cubeSize[2];
  const batch = 16;
  const out: Character[] = [];
  for (let s = 0; s < centres.length; s += batch) {
    check();
    progress('characterization', s, centres.length);
    const n = Math.min(batch, centres.length - s);
    const cubes = new Float32Array(n * per);
    for (let b = 0; b < n; b++)
      extractCube(volume, centres[s + b]!, c.cubeSize, c.spacingMm, c.huWindow, cubes, b * per);
    const r = await rt.characterize(cubes, n);
    for (let b = 0; b < n; b++) {
      let best = 0;
      for (let t = 1; t < 3; t++) if (r.type[b * 3 + t]! > r.type[b * 3 + best]!) best = t;
      out.push({ pNodule: r.nodule[b]!, type: c.typeOrder[best]!, spiculated: r.spiculated[b]! >= 0.5 });
    }
  }
  progress('characterization', centres.length, centres.length);
  return out;
}

/**
 * World z (LPS, + is superior) of the lowest and highest lung slices, for the upper-lobe rule
 * (a nodule in the upper half of the lungs' height counts as upper lobe: a stand-in until lobes
 * are segmented). Slices with less than a tenth of the largest lung area are left out, so the
 * trachea running up into the neck does not stretch the lungs upwards.
 */
function lungSuperiorRange(mask: Uint8Array, coarse: Grid, volume: Volume): { lo: number; hi: number } {
  const [cx, cy, cz] = coarse.dims;
  const area = new Float64Array(cz);
  let maxArea = 0;
  for (let z = 0; z < cz; z++) {
    let a = 0;
    for (let v = z * cx * cy; v < (z + 1) * cx * cy; v++) a += mask[v]!;
    area[z] = a;
    maxArea = Math.max(maxArea, a);
  }
  let first = -1;
  let lastZ = -1;
  for (let z = 0; z < cz; z++) {
    if (maxArea > 0 && area[z]! >= 0.1 * maxArea) {
      if (first < 0) first = z;
      lastZ = z;
    }
  }
  if (first < 0) {
    first = 0;
    lastZ = cz - 1;
  }
  const mid: Vec3 = [(volume.dims[0] - 1) / 2, (volume.dims[1] - 1) / 2, 0];
  const za = voxelToWorld(volume, [mid[0], mid[1], first * coarse.step[2]])[2];
  const zb = voxelToWorld(volume, [mid[0], mid[1], lastZ * coarse.step[2]])[2];
  return { lo: Math.min(za, zb), hi: Math.max(za, zb) };
}
