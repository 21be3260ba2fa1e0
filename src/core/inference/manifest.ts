import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { PulmoLensError } from '../../common/errors';

/** models/manifest.json, as models/manifest.schema.md defines it (unknown keys are kept, not checked). */
const positive3 = z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]);
const int3 = z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]);
const huWindow = z
  .tuple([z.number(), z.number()])
  .refine(([lo, hi]) => hi > lo, 'huWindow must be [low, high]');
const common = {
  name: z.string().min(1),
  version: z.string().min(1),
  file: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/i, 'sha256 must be 64 hex digits'),
  inputName: z.string().min(1),
  huWindow,
  opset: z.number().int().optional(),
  outputMeaning: z.string().optional(),
  trainingData: z.string().optional(),
  evaluation: z.record(z.string(), z.unknown()).optional(),
};

const detectorSpec = z.looseObject({
  ...common,
  spacingMm: positive3,
  outputName: z.string().min(1),
  patchSize: int3,
});
const cubeInput = z.object({ cubeSize: int3, spacingMm: positive3 });
/**
 * v1 (one cube: cubeSize + spacingMm) or v2 (model contract: `inputs`, one channel per cube, all
 * centred on the candidate). Both load into `inputs`, so the runtime knows one shape.
 */
const characterizerSpec = z.looseObject({
  ...common,
  inputs: z.array(cubeInput).min(1).max(4).optional(),
  cubeSize: int3.optional(),
  spacingMm: positive3.optional(),
  outputs: z.object({ nodule: z.string().min(1), type: z.string().min(1), spiculated: z.string().min(1) }),
  typeOrder: z
    .array(z.enum(['solid', 'part-solid', 'ground-glass']))
    .length(3)
    .refine((a) => new Set(a).size === 3, 'typeOrder must name each type once'),
  /**
   * Whether the `spiculated` output may stand as the finding's margin (training/attribute_check.py
   * measures it and writes this). Absent or not assessed: findings carry `spiculated: null` and the
   * reader sets the margin in the review.
   */
  spiculation: z
    .looseObject({
      assessed: z.boolean(),
      criterion: z.string().optional(),
      measuredBy: z.string().optional(),
    })
    .optional(),
});
/**
 * What the operating threshold applies to: the model contract's p_nodule, v1's product, or p_nodule
 * fused with a second U-Net's heatmap at the candidate (operatingPoint.fusion, score-fusion.ts).
 */
export const SCORE_P_NODULE = 'characterizer p_nodule';
export const SCORE_PEAK_X_P_NODULE = 'detector peak x characterizer p_nodule';
export const SCORE_FUSED = 'characterizer p_nodule fused with the fusion detector heatmap';
/**
 * p_nodule of a series with slices thicker than 2.5 mm, recalibrated: its logit lowered by
 * `logitOffset`, chosen on thick-slice validation series so that the one operating threshold keeps
 * its false-positive rate there (vessels crossing a thick slice look like blobs to the model).
 */
const thickSliceCalibration = z.looseObject({
  logitOffset: z.number().min(0).max(20),
  chosenOn: z.string().optional(),
  criterion: z.string().optional(),
});
/**
 * The highest nodule-scale image noise (core/inference/image-noise) at which the operating
 * threshold was checked and held (training/noise_calibration.py); a noisier series is warned about.
 */
const noiseCalibration = z.looseObject({
  validatedMaxHu: z.number().positive(),
  chosenOn: z.string().optional(),
  criterion: z.string().optional(),
});
/**
 * Score fusion (session 43): a finding's score is sigmoid(logit(p_nodule) + weight x logit(h)), h
 * the fusion detector's heatmap maximum within radiusMm of the candidate, clipped to
 * [heatClip, 1 - heatClip] (training/fusion_check.py chose the weight; cv_report.py measured it).
 */
const fusion = z.looseObject({
  model: z.literal('fusionDetector'),
  weight: z.number().positive().max(5),
  radiusMm: z.number().positive().max(10),
  heatClip: z.number().gt(0).lt(0.5),
  chosenOn: z.string().optional(),
  criterion: z.string().optional(),
});
const operatingPoint = z.looseObject({
  threshold: z.number().gt(0).lt(1),
  score: z.enum([SCORE_P_NODULE, SCORE_PEAK_X_P_NODULE, SCORE_FUSED]).default(SCORE_P_NODULE),
  fusion: fusion.optional(),
  chosenOn: z.string().optional(),
  criterion: z.string().optional(),
  thickSlice: thickSliceCalibration.optional(),
  noise: noiseCalibration.optional(),
});
const manifestSchema = z
  .looseObject({
    schemaVersion: z.literal(1),
    models: z.looseObject({
      detector: detectorSpec,
      characterizer: characterizerSpec.refine(
        (c) => c.inputs !== undefined || (c.cubeSize !== undefined && c.spacingMm !== undefined),
        'characterizer needs `inputs` (v2) or `cubeSize` and `spacingMm` (v1)',
      ),
      /** The second U-Net of operatingPoint.fusion, run on the detector's grid and lung mask. */
      fusionDetector: detectorSpec.optional(),
    }),
    operatingPoint: operatingPoint.optional(),
    trainingSeriesUids: z.array(z.string()).optional(),
  })
  .superRefine((m, ctx) => {
    const op = m.operatingPoint;
    const fused = op?.score === SCORE_FUSED;
    if (fused !== (op?.fusion !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['operatingPoint', fused ? 'fusion' : 'score'],
        message: `operatingPoint.score "${SCORE_FUSED}" and operatingPoint.fusion go together`,
      });
    }
    const f = m.models.fusionDetector;
    if (op?.fusion && !f) {
      ctx.addIssue({
        code: 'custom',
        path: ['models', 'fusionDetector'],
        message: 'operatingPoint.fusion names models.fusionDetector, which is missing',
      });
    }
    // Its heatmap is read on the detector's grid: the same spacing, or the radius means nothing.
    if (op?.fusion && f && f.spacingMm.join() !== m.models.detector.spacingMm.join()) {
      ctx.addIssue({
        code: 'custom',
        path: ['models', 'fusionDetector', 'spacingMm'],
        message: `must equal models.detector.spacingMm (${m.models.detector.spacingMm.join(', ')})`,
      });
    }
  });

/** One characterizer input channel: a cube of cubeSize [Z, Y, X] voxels at spacingMm [x, y, z]. */
export type CubeInput = z.infer<typeof cubeInput>;
export type DetectorSpec = z.infer<typeof detectorSpec>;
export type CharacterizerSpec = z.infer<typeof characterizerSpec> & {
  /** The channels of the input tensor [N, inputs.length, Z, Y, X], in order. */
  inputs: CubeInput[];
};
export type ModelSpec = DetectorSpec | CharacterizerSpec;
export type ModelOperatingPoint = z.infer<typeof operatingPoint>;
/** operatingPoint.fusion with the detector it names: present exactly when the score is fused. */
export interface ScoreFusion {
  detector: DetectorSpec;
  weight: number;
  radiusMm: number;
  heatClip: number;
}

/** float32's largest p below 1 bounds the logit, so a saturated p_nodule stays finite. */
const P_EDGE = 6e-8;

/** logit(p), p first kept within float32's open interval (0, 1) so that it is finite. */
export function boundedLogit(p: number): number {
  const q = Math.min(Math.max(p, P_EDGE), 1 - P_EDGE);
  return Math.log(q / (1 - q));
}

/** p_nodule with its logit lowered by `offset` (thick-slice recalibration); 0 leaves p as is. */
export function recalibratePNodule(p: number, offset: number): number {
  if (offset === 0) return p;
  return 1 / (1 + Math.exp(-(boundedLogit(p) - offset)));
}

/**
 * The finding threshold on p_nodule used when the manifest has no operatingPoint (the v1 models,
 * trained before the two-stage design): the old panel level. A manifest written by
 * training/write_manifest.py always carries its own, chosen on validation data.
 */
export const FALLBACK_OPERATING_THRESHOLD = 0.5;

export interface ModelManifest {
  /** Folder that holds manifest.json and the model files. */
  dir: string;
  detector: DetectorSpec;
  characterizer: CharacterizerSpec;
  /** From the manifest, or the documented fallback (source: 'fallback'). */
  operatingPoint: ModelOperatingPoint & { source: 'manifest' | 'fallback' };
  /** The score fusion (operatingPoint.fusion and models.fusionDetector), or null: p_nodule as is. */
  fusion: ScoreFusion | null;
  trainingSeriesUids: string[];
}

export async function loadManifest(dir: string): Promise<ModelManifest> {
  const path = join(dir, 'manifest.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new PulmoLensError('MODEL_MISSING', `no model manifest: ${(e as Error).message}`, {
      path,
      cause: e,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new PulmoLensError('MODEL_MISMATCH', `manifest is not valid JSON: ${(e as Error).message}`, {
      path,
      cause: e,
    });
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new PulmoLensError(
      'MODEL_MISMATCH',
      `manifest does not follow models/manifest.schema.md: ${issues}`,
      {
        path,
      },
    );
  }
  const { detector, characterizer } = parsed.data.models;
  const inputs = characterizer.inputs ?? [
    { cubeSize: characterizer.cubeSize!, spacingMm: characterizer.spacingMm! },
  ];
  const op = parsed.data.operatingPoint;
  const fusionDetector = parsed.data.models.fusionDetector;
  const fusionSpec =
    op?.fusion && fusionDetector
      ? {
          detector: fusionDetector,
          weight: op.fusion.weight,
          radiusMm: op.fusion.radiusMm,
          heatClip: op.fusion.heatClip,
        }
      : null;
  return {
    dir,
    detector,
    characterizer: { ...characterizer, inputs },
    operatingPoint: op
      ? { ...op, source: 'manifest' }
      : {
          threshold: FALLBACK_OPERATING_THRESHOLD,
          score: SCORE_PEAK_X_P_NODULE,
          criterion: 'fallback: the manifest has no operatingPoint',
          source: 'fallback',
        },
    fusion: fusionSpec,
    trainingSeriesUids: parsed.data.trainingSeriesUids ?? [],
  };
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Reads a model file and refuses it unless its SHA-256 is the manifest's: a model that is not the
 * one the evaluation figures were measured on must never run silently.
 */
export async function readVerifiedModel(manifest: ModelManifest, spec: ModelSpec): Promise<Uint8Array> {
  const path = join(manifest.dir, spec.file);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new PulmoLensError(
      'MODEL_MISSING',
      `model file ${spec.file} (${spec.name}) cannot be read: ${(e as Error).message}`,
      {
        path,
        cause: e,
      },
    );
  }
  const actual = sha256Hex(bytes);
  const expected = spec.sha256.toLowerCase();
  if (actual !== expected) {
    throw new PulmoLensError(
      'MODEL_MISMATCH',
      `model file ${spec.file} has sha256 ${actual} but the manifest expects ${expected}; refusing to load it`,
      { path, details: { file: spec.file, expected, actual } },
    );
  }
  return bytes;
}
