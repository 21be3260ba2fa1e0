/**
 * Validation of a stored review (the vault holds it as JSON): a record read back must be a
 * StudyReview again, or the reader is told which file and field are wrong.
 */
import { z } from 'zod';
import { PulmoLensError } from '../errors';
import type { StudyReview } from './review';

const iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO 8601 date-time');
const authorship = { reviewer: z.string().min(1), at: iso };
const noduleType = z.enum(['solid', 'part-solid', 'ground-glass']);
const vec3 = z.tuple([z.number(), z.number(), z.number()]);
const measurement = z
  .strictObject({
    longAxisMm: z.number().positive(),
    shortAxisMm: z.number().positive(),
    solidComponentMm: z.number().nonnegative().optional(),
  })
  .refine((m) => m.shortAxisMm <= m.longAxisMm + 1e-9, 'short axis longer than long axis');

const decision = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('accepted'), ...authorship }),
  z.strictObject({ kind: z.literal('rejected'), reason: z.string().optional(), ...authorship }),
  z.strictObject({ kind: z.literal('edited'), measurement, type: noduleType, ...authorship }),
]);

export const studyReviewSchema = z.strictObject({
  seriesInstanceUid: z.string().min(1),
  decisions: z.record(z.string(), decision),
  manual: z.array(
    z.strictObject({
      id: z.string().min(1),
      centerLps: vec3,
      centerVoxel: vec3,
      measurement,
      type: noduleType,
      spiculated: z.boolean(),
      upperLobe: z.boolean(),
      volumeMm3: z.number().positive().optional(),
      ...authorship,
    }),
  ),
  notes: z.array(z.strictObject({ text: z.string(), findingId: z.string().optional(), ...authorship })),
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
