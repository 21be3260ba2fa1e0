/**
 * The review rules the renderer applies live (edited sizes -> Lung-RADS, Brock risk, Fleischner;
 * "reviewed"; the exam category), re-exported from src/core/review so the panel, the main process
 * and the report compute them with one piece of pure code.
 */
export {
  addManualFinding,
  addNote,
  decide,
  examLungRads,
  isReviewed,
  reviewedFindings,
  type ManualFinding,
  type ReviewDecision,
  type ReviewedFinding,
  type StudyReview,
} from '../core/review/review';
export type { Finding, LungRadsCategory, NoduleType } from '../core/findings/findings-document';
export type { Vec3 } from '../core/volume/volume';
