/**
 * The analysis of one HU volume, stage by stage: stage-1 candidates (lung mask, blob detector,
 * U-Net heatmap: stage1.ts), stage-2 scores (characterizer: characterize.ts), the operating
 * threshold, segmentation and measurement of the findings (segment.ts, findings/measurements.ts)
 * and the clinical rules (findings/assemble.ts).
 */
import type { Progress, SeriesMetadata } from '../dicom/types';
import { PulmoLensError } from '../../common/errors';
import {
  assembleFindings,
  shownProbability,
  type ClinicalInputs,
  type MeasuredNodule,
} from '../findings/assemble';
import type {
  BelowThresholdCandidate,
  FindingsDocument,
  ImageNoise,
  ImageNoiseAssessment,
  ModelRef,
} from '../../common/findings/findings-document';
import { regionHas, regionVoxels, type NoduleMeasurements } from '../findings/measurements';
import { measureEmphysema } from './emphysema';
import { heatmapAsStored, toCanonical } from './canonical-orientation';
import { emptySlicesWarning, fillEmptySlices, longestRun } from './empty-slices';
import { fovEdgeWarning, seriesEndWarning } from './fov-edge';
import { measureImageNoise } from './image-noise';
import { voxelToWorld, worldToVoxel, type Vec3, type Volume } from '../../common/volume';
import { shutdownBlobWorkers } from './blob-pool';
import { characterize, type Character } from './characterize';
import {
  defaultTiling,
  detectHeatmap,
  isTileEdge,
  overlayHeatmap,
  TILE_EDGE_RANGE,
  type Heatmap,
} from './detect';
import { inLungCore, lungHeightRange } from './lung-mask';
import {
  recalibratePNodule,
  SCORE_FUSED,
  SCORE_PEAK_X_P_NODULE,
  type ModelOperatingPoint,
  type ScoreFusion,
} from './manifest';
import type { ModelChoice } from './config';
import type { ProviderAttempt } from './providers';
import { getRuntime } from './runtime';
import { fuseScore, heatNear } from './score-fusion';
import { outlineNodule } from './nodule-outline';
import { mergeSameNodule } from './same-nodule';
import { DEFAULT_UNET_THRESHOLD, runStage1, THICK_SLICE_MM, type Stage1Candidate } from './stage1';

export type { ClinicalInputs } from '../findings/assemble';
export type { Heatmap } from './detect';

export interface AnalyzeOptions {
  /** Lowest U-Net peak probability that makes a stage-1 candidate (default 0.1). */
  threshold?: number;
  clinical?: ClinicalInputs;
  /** Most U-Net candidates (default 200). */
  maxCandidates?: number;
  /**
   * Fraction of a U-Net tile's edge that neighbouring tiles share. Default (defaultTiling) an
   * eighth on the CPU, a half on a GPU. Pass it explicitly for reproducible evaluations.
   */
  overlap?: number;
  /** Largest U-Net tile edge, model-grid voxels (default defaultTiling's 128). */
  tileEdge?: number;
  /**
   * Slices (k, on the stored grid) with no image: filled from their neighbours before the analysis
   * (empty-slices.ts). analyzeSeries passes a loaded series' own.
   */
  emptySlices?: readonly number[];
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
> &
  /** The stated SliceThickness: a series reconstructed thick but overlapping is thick. */
  Partial<Pick<SeriesMetadata, 'sliceThicknessMm'>>;

export interface PipelineContext {
  onProgress?: (p: Progress) => void;
  /** Throws a CANCELLED PulmoLensError when the caller has given up. */
  checkCancelled?: () => void;
}

export const DEFAULT_THRESHOLD = DEFAULT_UNET_THRESHOLD;
export const THICK_SLICE_WARNING =
  'slices thicker than 2.5 mm: Lung-RADS assumes 2.5 mm or less and small nodules may be missed';
export const THICK_SLICE_RECALIBRATED = 'p_nodule recalibrated for thick slices (model manifest)';
export const NOISY_SERIES_WARNING =
  'image noise above what the models were validated at (a low-dose or noisy series): expect more false positives';

/** The series' noise against the manifest's validated limit, and the warning it calls for. */
export function assessImageNoise(
  noise: ImageNoise,
  calibration: ModelOperatingPoint['noise'],
): { assessment: ImageNoiseAssessment; warning?: string } {
  const validatedMaxHu = calibration?.validatedMaxHu;
  const above = noise.measured && validatedMaxHu !== undefined && noise.noduleScaleSdHu > validatedMaxHu;
  const assessment: ImageNoiseAssessment = {
    ...noise,
    ...(validatedMaxHu !== undefined ? { validatedMaxHu } : {}),
    aboveValidated: above,
  };
  if (!above || !noise.measured) return { assessment };
  return {
    assessment,
    warning:
      `${NOISY_SERIES_WARNING} (this series: ${noise.noduleScaleSdHu} HU SD at nodule scale, ` +
      `validated up to ${validatedMaxHu} HU; ${noise.softTissueSdHu} HU in soft tissue)`,
  };
}

const round = (v: number, d: number) => {
  const f = 10 ** d;
  return Math.round(v * f) / f;
};

/**
 * A candidate's score, as the manifest's operatingPoint names it: the model contract's p_nodule
 * (characterizer v2); p_nodule fused with the fusion detector's heat at the candidate
 * (score-fusion.ts); or U-Net peak x p_nodule for the v1 models, which were trained on U-Net
 * candidates (only those carry a peak; blob-only candidates score 0). A manifest without an
 * operatingPoint (older v1 manifests) scores like v1 with the fallback threshold.
 */
export function candidateScore(
  c: Stage1Candidate,
  ch: Character,
  op: Pick<ModelOperatingPoint, 'score'>,
  fused: { fusion: ScoreFusion; heat: number } | null = null,
): number {
  if (op.score === SCORE_FUSED) {
    if (!fused)
      throw new PulmoLensError('MODEL_MISMATCH', 'the operating point fuses scores but no heat was given');
    return fuseScore(ch.pNodule, fused.heat, fused.fusion);
  }
  return op.score === SCORE_PEAK_X_P_NODULE ? (c.unetScore ?? 0) * ch.pNodule : ch.pNodule;
}

/**
 * How thick the series' slices are for the thick-slice rules: the larger of the spacing and the
 * stated SliceThickness (5 mm slices reconstructed every 2.5 mm carry a 5 mm slice's blur; a
 * stated thickness outside (0, 20] mm is not believed). `stated`: as the warning says it.
 */
export function sliceThickness(
  spacingMm: number,
  statedMm: number | null | undefined,
): { sliceMm: number; stated: string } {
  const t = statedMm !== null && statedMm !== undefined && statedMm > 0 && statedMm <= 20 ? statedMm : null;
  if (t === null || t <= spacingMm + 0.01) return { sliceMm: spacingMm, stated: `${round(spacingMm, 2)} mm` };
  return { sliceMm: t, stated: `${round(t, 2)} mm slices ${round(spacingMm, 2)} mm apart` };
}

/** The whole analysis of one HU volume, in the calling thread (the worker calls this). */
export async function runAnalysis(
  stored: Volume,
  header: SeriesHeader,
  models: ModelChoice,
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
  const [vx, vy, vz] = stored.dims;
  if (stored.hu.length !== vx * vy * vz || vx < 2 || vy < 2 || vz < 2) {
    throw new PulmoLensError(
      'INVALID_INPUT',
      `volume ${vx}x${vy}x${vz} cannot be analysed (needs at least 2 voxels per axis)`,
    );
  }

  // Every stage sees the voxel order the models were validated on; coordinates and the heatmap go
  // back to the stored grid at the end (canonical-orientation.ts).
  const canonical = toCanonical(stored);
  const { flips } = canonical;
  const empty = (opts.emptySlices ?? []).map((k) => (flips[2] ? vz - 1 - k : k));
  const volume = empty.length ? fillEmptySlices(canonical.volume, empty) : canonical.volume;
  if (empty.length) {
    warnings.push(emptySlicesWarning(empty.length, longestRun(empty), volume.spacingMm[2]));
  }

  progress('loading models', 0, 1);
  const rt = await getRuntime(models.modelsDir, models.provider);
  const det = rt.manifest.detector;
  const op = rt.manifest.operatingPoint;
  lap('loadModels');

  const tiling = defaultTiling(rt.detector.provider);
  if (opts.overlap !== undefined) tiling.overlap = opts.overlap;
  if (opts.tileEdge !== undefined) tiling.maxEdge = opts.tileEdge;
  if (!(tiling.overlap >= 0 && tiling.overlap < 1)) {
    throw new PulmoLensError('INVALID_INPUT', `overlap must be in [0, 1), got ${tiling.overlap}`);
  }
  if (!isTileEdge(tiling.maxEdge)) {
    throw new PulmoLensError(
      'INVALID_INPUT',
      `tile edge must be a whole number of voxels from ${TILE_EDGE_RANGE.join(' to ')}, got ${tiling.maxEdge}`,
    );
  }
  const { sliceMm, stated } = sliceThickness(volume.spacingMm[2], header.sliceThicknessMm);
  const thickCalibration = sliceMm > THICK_SLICE_MM ? op.thickSlice : undefined;
  if (sliceMm > THICK_SLICE_MM)
    warnings.push(
      `${THICK_SLICE_WARNING} (this series: ${stated}` +
        (thickCalibration ? `; ${THICK_SLICE_RECALIBRATED})` : ')'),
    );
  // The probability maps (~100-170 MB each on the model grid) are held only until the overlay is
  // mapped, not through characterization: no binding but these two keeps them.
  let stage1Prob: Float32Array | null = null;
  let fusionProb: Float32Array | null = null;
  const s1 = await runStage1(volume, rt, {
    tiling,
    unetThreshold: threshold,
    maxUnetCandidates: opts.maxCandidates ?? 200,
    progress,
    check,
    lap,
  }).then(({ prob, ...rest }) => {
    stage1Prob = prob;
    return rest;
  });
  if (!s1.lung.found) warnings.push('no lung found by the HU lung mask; the whole volume was searched');
  if (s1.atFovEdge > 0) warnings.push(fovEdgeWarning(s1.atFovEdge));
  if (s1.atSeriesEnd > 0) warnings.push(seriesEndWarning(s1.atSeriesEnd));
  // Score fusion: the second U-Net over the same grid and lung mask, read at every candidate.
  const fusion = rt.manifest.fusion;
  let heat: number[] | null = null;
  if (fusion && rt.fusionDetector) {
    stage1Prob = null; // not shown: the fusion detector's map is
    fusionProb = await detectHeatmap(
      volume,
      s1.grid,
      s1.coarse,
      s1.lung.mask,
      rt.fusionDetector,
      tiling,
      (stage, done, total) => progress(stage === 'detection' ? 'fusion detection' : stage, done, total),
      check,
    );
    heat = heatNear(
      fusionProb,
      s1.grid,
      fusion.detector.spacingMm as Vec3,
      s1.candidates.map((c) => c.centre),
      fusion.radiusMm,
    );
    lap('fusionDetect');
  }
  // The overlay is the fusion detector's heatmap where the models have one: it scores every
  // finding, and on the 9 real copies of training/overlay_check.ts it shows two fifths as many hot
  // spots away from the LUNA16 marks at the viewer's 0.2 as stage 1's U-Net, and LIDC-IDRI-0001's
  // nodule at 0.999 instead of 0.84-0.92 (training/README.md, session 45). Stage 1's candidates
  // stay its own U-Net's peaks.
  const heatmapFrom = fusionProb ? 'fusionDetector' : 'detector';
  progress('heatmap', 0, 1);
  const heatmap = overlayHeatmap((fusionProb ?? stage1Prob)!, s1.grid, volume, s1.coarse, s1.lung.core);
  stage1Prob = fusionProb = null;
  progress('heatmap', 1, 1);
  lap('heatmap');
  const noise = assessImageNoise(measureImageNoise(volume), op.noise);
  if (noise.warning) warnings.push(noise.warning);
  lap('imageNoise');

  let raw: Character[];
  try {
    raw = await characterize(
      volume,
      s1.candidates.map((c) => c.centre),
      rt,
      progress,
      check,
    );
  } finally {
    // The blob workers kept from re-centring made the cubes; the next analysis starts its own.
    await shutdownBlobWorkers();
  }
  const offset = thickCalibration?.logitOffset ?? 0;
  const chars = raw.map((ch) => ({ ...ch, pNodule: recalibratePNodule(ch.pNodule, offset) }));
  lap('characterize');

  const scored = s1.candidates
    .map((c, n) => ({
      c,
      ch: chars[n]!,
      score: candidateScore(c, chars[n]!, op, fusion && heat ? { fusion, heat: heat[n]! } : null),
    }))
    .sort((a, b) => b.score - a.score);
  const above = scored.filter((s) => s.score >= op.threshold);
  const below = scored.filter((s) => s.score < op.threshold);

  const { coarse, lung } = s1;
  const inLung = inLungCore(coarse, lung);
  const superior = lungHeightRange(lung.mask, coarse, volume);
  const measured: Array<{
    centre: Vec3;
    score: number;
    ch: Character;
    m: NoduleMeasurements;
    solidMm: number;
    covers: (voxel: Vec3) => boolean;
    voxels: () => Iterable<Vec3>;
  }> = [];
  for (let n = 0; n < above.length; n++) {
    progress('segmentation', n, above.length);
    const { c, ch, score } = above[n]!;
    const outline = outlineNodule(volume, {
      centre: c.centre,
      modelType: ch.type,
      extentMm: c.scaleMm,
      inLung,
    });
    let m = outline.m;
    if (m.voxelCount === 0) {
      // Nothing to outline at this spot: fall back to the candidate's own size estimate.
      const d = Math.max(c.scaleMm, 1);
      const ci = c.centre.map(Math.round) as Vec3;
      m = {
        longAxisMm: d,
        shortAxisMm: d,
        meanDiameterMm: d,
        volumeMm3: (Math.PI / 6) * d ** 3,
        meanHu: volume.hu[ci[0] + ci[1] * vx + ci[2] * vx * vy] ?? Number.NaN,
        voxelCount: 0,
        axialSlice: ci[2],
        centroidVoxel: c.centre,
      };
    }
    measured.push({
      centre: m.voxelCount > 0 ? m.centroidVoxel : c.centre,
      score,
      ch: { ...ch, type: outline.type },
      m,
      solidMm: m.voxelCount > 0 ? outline.solidMm : m.meanDiameterMm,
      covers: (voxel) => m.voxelCount > 0 && regionHas(outline.region, voxel),
      voxels: () => (m.voxelCount > 0 ? regionVoxels(outline.region) : []),
    });
    if (n % 8 === 0) check();
  }
  progress('segmentation', above.length, above.length);
  // Several candidates on one nodule: it is listed once, with the strongest score and the larger
  // outline (same-nodule.ts).
  const distinct = mergeSameNodule(measured, volume.spacingMm).map(({ strongest, outlineOf }) => ({
    ...outlineOf,
    score: strongest.score,
  }));
  lap('segment');

  const located = (centre: Vec3) => {
    const world = voxelToWorld(volume, centre);
    const centerLps = world.map((v) => round(v, 3)) as Vec3;
    // Derived from the written LPS, so round(worldToVoxel(centerLps)) === centerVoxel holds exactly,
    // on the grid the series was stored on.
    const centerVoxel = worldToVoxel(stored, centerLps).map((v) => Math.round(v)) as Vec3;
    return { world, centerLps, centerVoxel };
  };
  // The margin call is the model's only where its manifest says it was validated: the shipped
  // characterizer's separates spiculated from smooth inserted nodules no better than chance
  // (training/attribute_check.py), and a "not spiculated" it cannot see would hide Lung-RADS 4X.
  const marginAssessed = rt.manifest.characterizer.spiculation?.assessed === true;
  const nodules: MeasuredNodule[] = distinct.map((f) => {
    const { world, centerLps, centerVoxel } = located(f.centre);
    return {
      centerLps,
      centerVoxel,
      probability: f.score,
      type: f.ch.type,
      spiculated: marginAssessed ? f.ch.spiculated : null,
      m: f.m,
      solidMm: f.solidMm,
      upperLobe: (world[2] - superior.lo) / Math.max(superior.hi - superior.lo, 1e-6) >= 0.5,
    };
  });
  const assembled = assembleFindings(nodules, header, opts.clinical ?? {});
  warnings.push(...assembled.warnings);
  const candidates: BelowThresholdCandidate[] = below.map(({ c, score }, i) => ({
    id: `C${String(i + 1).padStart(3, '0')}`,
    ...(({ centerLps, centerVoxel }) => ({ centerLps, centerVoxel }))(located(c.centre)),
    probability: shownProbability(score),
    source: c.source,
    scaleMm: round(c.scaleMm, 1),
  }));
  lap('risk');
  timings.total = round(performance.now() - t0, 1);

  return {
    document: {
      seriesInstanceUid: header.seriesInstanceUid,
      model: modelRef(det),
      characterizer: modelRef(rt.manifest.characterizer),
      ...(fusion ? { fusionDetector: modelRef(fusion.detector) } : {}),
      heatmapFrom,
      executionProvider: rt.detector.provider,
      timingsMs: timings,
      operatingThreshold: op.threshold,
      findings: assembled.findings,
      candidates,
      warnings: [...warnings],
      emphysema: measureEmphysema(volume, { outsideFov: s1.outsideFov }),
      imageNoise: noise.assessment,
      clinical: assembled.clinical,
    },
    heatmap: heatmapAsStored(heatmap, flips),
    providerAttempts: rt.detector.attempts,
    warnings,
    peakRssBytes: peakRss,
  };
}

/** A manifest model as findings.json names it. */
function modelRef({ name, version, sha256 }: ModelRef): ModelRef {
  return { name, version, sha256 };
}

export type { ModelOperatingPoint };
