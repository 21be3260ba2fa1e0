/** The reader's review of model findings: decisions, hand-added nodules, notes, exam category. */
export * from './review';
export { parseStudyReview, studyReviewSchema } from './review-schema';
