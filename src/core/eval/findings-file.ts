/**
 * Reading findings.json files (the output of `pulmolens analyze`) as evaluation input. Only what
 * scoring needs is checked strictly: the series, the model and each finding's centre and
 * probability; anything wrong is an EVAL_INVALID error naming the file.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { PulmoLensError } from '../../common/errors';
import type { Finding, FindingsDocument } from '../../common/findings/findings-document';
import type { ScoredCandidate } from '../../common/eval';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const scoredFinding = z.looseObject({
  id: z.string(),
  centerLps: z.tuple([finite, finite, finite]),
  probability: z.number().min(0).max(1),
});
// The noise audit reads imageNoise (src/core/inference/image-noise) when the document has it.
const imageNoise = z.discriminatedUnion('measured', [
  z.looseObject({
    measured: z.literal(true),
    noduleScaleSdHu: finite.pipe(z.number().nonnegative()),
    validatedMaxHu: z.number().positive().optional(),
    aboveValidated: z.boolean(),
  }),
  z.looseObject({ measured: z.literal(false) }),
]);
const scoredDocument = z.looseObject({
  seriesInstanceUid: z.string().min(1),
  model: z.object({ name: z.string(), version: z.string(), sha256: z.string() }),
  findings: z.array(scoredFinding),
  imageNoise: imageNoise.optional(),
});

/** Checks an in-memory document (from a file or from the analyser) before it is scored. */
export function checkFindingsDocument(doc: unknown, where: string): FindingsDocument {
  const parsed = scoredDocument.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue ? issue.path.join('.') : '';
    throw new PulmoLensError(
      'EVAL_INVALID',
      `not a findings document: ${at ? `${at}: ` : ''}${issue?.message ?? ''}`,
      { path: where },
    );
  }
  return doc as FindingsDocument;
}

export async function readFindingsFile(path: string): Promise<FindingsDocument> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new PulmoLensError('IO_ERROR', `cannot read findings: ${(cause as Error).message}`, {
      path,
      cause,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new PulmoLensError('EVAL_INVALID', `findings file is not JSON: ${(cause as Error).message}`, {
      path,
      cause,
    });
  }
  return checkFindingsDocument(json, path);
}

const NODULE_TYPES = new Set(['solid', 'part-solid', 'ground-glass']);

/**
 * The scored candidates: the findings, plus the `candidates` below the operating threshold that
 * model contract v2 keeps in findings.json (FROC needs them all). Measurements ride along where given.
 */
export function candidatesOf(doc: FindingsDocument): ScoredCandidate[] {
  const extra = (doc as { candidates?: unknown }).candidates;
  const below = Array.isArray(extra) ? extra.filter((c) => scoredFinding.safeParse(c).success) : [];
  return [...doc.findings, ...(below as Partial<Finding>[])].map((f) => {
    const c: ScoredCandidate = {
      id: f.id as string,
      centerLps: f.centerLps as ScoredCandidate['centerLps'],
      probability: f.probability as number,
    };
    if (typeof f.diameterMm === 'number' && Number.isFinite(f.diameterMm)) c.diameterMm = f.diameterMm;
    if (typeof f.volumeMm3 === 'number' && Number.isFinite(f.volumeMm3)) c.volumeMm3 = f.volumeMm3;
    if (typeof f.type === 'string' && NODULE_TYPES.has(f.type)) c.type = f.type;
    return c;
  });
}
