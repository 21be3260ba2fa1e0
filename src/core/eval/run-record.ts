/**
 * What an evaluation folder keeps besides the human-facing results: run.json (what was run) and
 * scans.jsonl (every scan's raw candidates and reference marks). `eval --merge` rebuilds metrics
 * from these, never from the shards' metrics.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { PulmoLensError } from '../../common/errors';
import type { ModelEvalInfo } from './model-info';
import type { CoverageSets } from './reference-coverage';
import type { Shard } from './shard';
import type { ScanRecord } from '../../common/eval';

export const RUN_FILE = 'run.json';
export const SCANS_FILE = 'scans.jsonl';

export interface RunInfo {
  schemaVersion: 1;
  annotationsSha256: string;
  /** The threshold given on the command line; null: the manifest's, else the one tuned on the set. */
  threshold: number | null;
  shard: Shard | null;
  /** Every series of the cohort before sharding (sorted), so a merge can tell whether shards are missing. */
  cohortSeries: string[];
  /** Absent in folders written before issue 13: the records are then all that is known. */
  coverage?: CoverageSets;
  /** The model manifest's operating point and training scans, as read when the run started. */
  modelInfo?: ModelEvalInfo | null;
  includeTrainingScans?: boolean;
}

const vec3 = z.tuple([z.number(), z.number(), z.number()]);
const runInfoSchema = z.object({
  schemaVersion: z.literal(1),
  annotationsSha256: z.string(),
  threshold: z.number().nullable(),
  shard: z.object({ index: z.number().int(), count: z.number().int() }).nullable(),
  cohortSeries: z.array(z.string()),
  coverage: z
    .object({
      annotatedSeries: z.array(z.string()),
      foundSeries: z.array(z.string()),
      listedSeries: z.array(z.string()).nullable(),
    })
    .optional(),
  modelInfo: z
    .object({
      detectorSha256: z.string(),
      operatingPoint: z
        .object({ threshold: z.number(), chosenOn: z.string().nullable(), criterion: z.string().nullable() })
        .nullable(),
      trainingSeriesUids: z.array(z.string()).nullable(),
    })
    .nullable()
    .optional(),
  includeTrainingScans: z.boolean().optional(),
});
const noduleType = z.enum(['solid', 'part-solid', 'ground-glass']);
const scanRecordSchema = z.object({
  seriesInstanceUid: z.string().min(1),
  model: z.object({ name: z.string(), version: z.string(), sha256: z.string() }),
  candidates: z.array(
    z.object({
      id: z.string(),
      centerLps: vec3,
      probability: z.number(),
      diameterMm: z.number().optional(),
      volumeMm3: z.number().optional(),
      type: noduleType.optional(),
    }),
  ),
  annotations: z.object({
    nodules: z.array(
      z.object({
        id: z.string(),
        centerLps: vec3,
        diameterMm: z.number(),
        type: noduleType.optional(),
        readers: z.array(z.object({ diameterMm: z.number(), volumeMm3: z.number() })).optional(),
      }),
    ),
    excluded: z.array(z.object({ id: z.string(), centerLps: vec3, diameterMm: z.number().nullable() })),
  }),
  scan: z
    .object({
      sliceThicknessMm: z.number().nullable(),
      manufacturer: z.string(),
      convolutionKernel: z.string(),
      patientSex: z.string(),
      ageBand: z.string(),
    })
    .optional(),
  noise: z
    .object({
      noduleScaleSdHu: z.number(),
      validatedMaxHu: z.number().optional(),
      aboveValidated: z.boolean(),
    })
    .optional(),
});

export function scansJsonl(records: readonly ScanRecord[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : '');
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    throw new PulmoLensError('EVAL_INVALID', `not an evaluation output folder: ${(cause as Error).message}`, {
      path,
      cause,
    });
  }
}

export async function readEvalFolder(dir: string): Promise<{ run: RunInfo; records: ScanRecord[] }> {
  const runPath = join(dir, RUN_FILE);
  let runJson: unknown;
  try {
    runJson = JSON.parse(await readText(runPath));
  } catch (e) {
    if (e instanceof PulmoLensError) throw e;
    throw new PulmoLensError('EVAL_INVALID', `run.json is not JSON`, { path: runPath, cause: e });
  }
  const run = runInfoSchema.safeParse(runJson);
  if (!run.success)
    throw new PulmoLensError('EVAL_INVALID', `run.json: ${run.error.issues[0]?.message}`, { path: runPath });
  const scansPath = join(dir, SCANS_FILE);
  const records: ScanRecord[] = [];
  (await readText(scansPath)).split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (cause) {
      throw new PulmoLensError('EVAL_INVALID', `line ${i + 1}: not JSON`, { path: scansPath, cause });
    }
    const rec = scanRecordSchema.safeParse(json);
    if (!rec.success) {
      const issue = rec.error.issues[0];
      throw new PulmoLensError('EVAL_INVALID', `line ${i + 1}: ${issue?.path.join('.')}: ${issue?.message}`, {
        path: scansPath,
      });
    }
    records.push(rec.data as ScanRecord);
  });
  return { run: run.data as RunInfo, records };
}
