/**
 * What the model manifest says about evaluating its model (model contract v2): the operating
 * threshold chosen on a validation set, and the series the model was trained or tuned on. Both are
 * optional (manifests written before the contract lack them); they apply only to findings made by
 * the detector the manifest describes.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { PulmoLensError } from '../../common/errors';

export interface ManifestOperatingPoint {
  threshold: number;
  /** The validation set it was chosen on, as the manifest words it. */
  chosenOn: string | null;
  criterion: string | null;
}

export interface ModelEvalInfo {
  /** sha256 of the detector the manifest describes. */
  detectorSha256: string;
  operatingPoint: ManifestOperatingPoint | null;
  /** Null when the manifest does not list them (unknown, not "none"). */
  trainingSeriesUids: string[] | null;
}

const schema = z.looseObject({
  models: z.looseObject({ detector: z.looseObject({ sha256: z.string() }) }),
  operatingPoint: z
    .looseObject({
      threshold: z.number().min(0).max(1),
      chosenOn: z.string().optional(),
      criterion: z.string().optional(),
    })
    .optional(),
  trainingSeriesUids: z.array(z.string().min(1)).optional(),
});

export function modelEvalInfoOf(json: unknown, path: string): ModelEvalInfo {
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PulmoLensError(
      'MODEL_MISMATCH',
      `manifest: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
      { path },
    );
  }
  const m = parsed.data;
  return {
    detectorSha256: m.models.detector.sha256,
    operatingPoint: m.operatingPoint
      ? {
          threshold: m.operatingPoint.threshold,
          chosenOn: m.operatingPoint.chosenOn ?? null,
          criterion: m.operatingPoint.criterion ?? null,
        }
      : null,
    trainingSeriesUids: m.trainingSeriesUids ?? null,
  };
}

/** Reads <dir>/manifest.json; null when there is none (a run on precomputed findings needs no model). */
export async function readModelEvalInfo(dir: string): Promise<ModelEvalInfo | null> {
  const path = join(dir, 'manifest.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return null;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new PulmoLensError('MODEL_MISMATCH', 'manifest is not valid JSON', { path, cause });
  }
  return modelEvalInfoOf(json, path);
}
