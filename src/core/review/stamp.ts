/** Who decided what, and when: the main process stamps a review before it is stored. */
import type { ReviewInput } from '../../common/review/review-schema';
import type { ReviewDecision, StudyReview } from '../../common/review/review';

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The review as stored: entries the reader did not change keep their author and time; new or
 * changed ones get this user and now. The renderer cannot claim to be someone else.
 */
export function stampReview(req: ReviewInput, previous: StudyReview, who: string, at: string): StudyReview {
  const strip = <T extends { reviewer?: string; at?: string }>(x: T) => {
    const { reviewer: _r, at: _a, ...rest } = x;
    return rest;
  };
  const decisions: Record<string, ReviewDecision> = {};
  for (const [id, d] of Object.entries(req.decisions)) {
    const before = previous.decisions[id];
    decisions[id] = (
      before && sameJson(strip(before), strip(d)) ? before : { ...strip(d), reviewer: who, at }
    ) as ReviewDecision;
  }
  const manual = req.manual.map((m) => {
    const before = previous.manual.find((p) => p.id === m.id);
    return before && sameJson(strip(before), strip(m)) ? before : { ...strip(m), reviewer: who, at };
  });
  const notes = req.notes.map((n, i) => {
    const before = previous.notes[i];
    return before && sameJson(strip(before), strip(n)) ? before : { ...strip(n), reviewer: who, at };
  });
  return { seriesInstanceUid: previous.seriesInstanceUid, decisions, manual, notes };
}
