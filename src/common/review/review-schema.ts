/**
 * The one zod description of a review. The IPC request (`review.save`, src/shared) and the vault
 * record read back (a StudyReview) are built from the same parts; they differ only in authorship:
 * the renderer's reviewer and time are ignored (the main process stamps them), a stored record
 * must carry both.
 */
import { z } from 'zod';
import { PulmoLensError } from '../errors';
import type { StudyReview } from './review';

const finite = z.number().finite();
const vec3 = z.tuple([finite, finite, finite]);
const noduleType = z.enum(['solid', 'part-solid', 'ground-glass']);
const findingId = z.string().min(1).max(64);
const isoTime = z
  .string()
  .max(64)
  .refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO 8601 date-time');

export const measurementSchema = z
  .strictObject({
    longAxisMm: z.number().positive().max(500),
    shortAxisMm: z.number().positive().max(500),
    solidComponentMm: z.number().min(0).max(500).optional(),
  })
  .refine((m) => m.shortAxisMm <= m.longAxisMm + 1e-9, 'short axis must not exceed the long axis');

function reviewParts<A extends z.ZodRawShape>(authorship: A) {
  const decision = z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('accepted'), spiculated: z.boolean().optional(), ...authorship }),
    z.strictObject({ kind: z.literal('rejected'), reason: z.string().max(2000).optional(), ...authorship }),
    z.strictObject({
      kind: z.literal('edited'),
      measurement: measurementSchema,
      type: noduleType,
      spiculated: z.boolean().optional(),
      ...authorship,
    }),
  ]);
  const manualFinding = z.strictObject({
    id: findingId,
    centerLps: vec3,
    centerVoxel: vec3,
    measurement: measurementSchema,
    type: noduleType,
    spiculated: z.boolean(),
    upperLobe: z.boolean(),
    volumeMm3: z.number().positive().optional(),
    ...authorship,
  });
  const note = z.strictObject({
    text: z.string().min(1).max(4000),
    findingId: findingId.optional(),
    ...authorship,
  });
  return { decision, decisions: z.record(findingId, decision), manualFinding, note };
}

/** What the renderer sends: authorship may be present but is ignored and re-stamped. */
export const reviewInputParts = reviewParts({
  reviewer: z.string().max(256).optional(),
  at: z.string().max(64).optional(),
});

/** A review as the renderer sends it (`review.save`), before the main process stamps it. */
export interface ReviewInput {
  decisions: Record<string, z.output<typeof reviewInputParts.decision>>;
  manual: z.output<typeof reviewInputParts.manualFinding>[];
  notes: z.output<typeof reviewInputParts.note>[];
}

const stored = reviewParts({ reviewer: z.string().min(1).max(256), at: isoTime });

/** A StudyReview as the vault holds it. */
export const studyReviewSchema = z.strictObject({
  seriesInstanceUid: z.string().min(1).max(256),
  decisions: stored.decisions,
  manual: z.array(stored.manualFinding),
  notes: z.array(stored.note),
});

/** Parses a stored review; a bad record is an INVALID_INPUT error naming where it came from. */
export function parseStudyReview(value: unknown, source: string): StudyReview {
  const r = studyReviewSchema.safeParse(value);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new PulmoLensError(
      'INVALID_INPUT',
      `not a valid review: ${first ? `${first.path.join('.') || '(root)'}: ${first.message}` : r.error.message}`,
      { path: source },
    );
  }
  return r.data as StudyReview;
}
