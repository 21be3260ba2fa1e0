/**
 * The reader's review of one analysed series. The model proposes findings; the reader accepts,
 * rejects or edits each one, may add nodules the model missed, and may leave notes. Everything
 * here is a pure function of the findings document and the review, so the UI, the vault and the
 * report agree on what "reviewed" and the exam category mean.
 */
import {
  BROCK_COEFFICIENTS,
  brockRisk,
  brockSizeTerm,
  NODULE_COUNT_LEVEL,
  type Sex,
} from '../findings/brock';
import type { Finding, FindingsDocument, LungRadsCategory, NoduleType } from '../findings/findings-document';
import { fleischnerRecommendation, type FleischnerRisk } from '../findings/fleischner';
import { lungRadsCategory, roundTenth } from '../findings/lung-rads';
import type { Vec3 } from '../volume';

/** Who decided and when (ISO 8601, UTC). */
export interface Authorship {
  reviewer: string;
  at: string;
}

/** A bidirectional axial measurement as the reader sets it. */
export interface BidirectionalMeasurement {
  longAxisMm: number;
  shortAxisMm: number;
  /** Mean diameter of the solid component; only meaningful for part-solid nodules. */
  solidComponentMm?: number;
}

/**
 * The reader's call on a kept finding's margin. Absent: the finding keeps the margin it has (the
 * model's where validated, else "not assessed"); given, it sets Lung-RADS 4X and Brock's
 * spiculation term.
 */
export interface MarginCall {
  spiculated?: boolean;
}

export type ReviewDecision =
  | ({ kind: 'accepted' } & MarginCall & Authorship)
  | ({ kind: 'rejected'; reason?: string } & Authorship)
  | ({ kind: 'edited'; measurement: BidirectionalMeasurement; type: NoduleType } & MarginCall & Authorship);

/** A nodule the reader added by hand (the model missed it). */
export interface ManualFinding extends Authorship {
  id: string;
  centerLps: Vec3;
  centerVoxel: Vec3;
  measurement: BidirectionalMeasurement;
  type: NoduleType;
  spiculated: boolean;
  /** Whether the nodule lies in an upper lobe (a Brock predictor the reader knows). */
  upperLobe: boolean;
  /** Volume when the reader outlined it; otherwise the sphere of the mean diameter. */
  volumeMm3?: number;
}

export interface ReviewNote extends Authorship {
  text: string;
  /** The finding the note is about; absent for a note on the whole exam. */
  findingId?: string;
}

export interface StudyReview {
  seriesInstanceUid: string;
  /** Keyed by Finding.id of the findings document. */
  decisions: Readonly<Record<string, ReviewDecision>>;
  manual: readonly ManualFinding[];
  notes: readonly ReviewNote[];
}

/** Patient facts for the Brock model of hand-added nodules (the pipeline's defaults when unknown). */
export interface ReviewContext {
  ageYears: number;
  sex: Sex;
  familyHistory: boolean;
  emphysema: boolean;
  fleischnerRisk: FleischnerRisk;
}

export const DEFAULT_REVIEW_CONTEXT: ReviewContext = {
  ageYears: 62,
  sex: 'male',
  familyHistory: false,
  emphysema: false,
  fleischnerRisk: 'unknown',
};

/** The patient facts the analysis used (stored in its document), else the defaults. */
export function reviewContextOf(doc: Pick<FindingsDocument, 'clinical'>): ReviewContext {
  const c = doc.clinical;
  if (!c) return DEFAULT_REVIEW_CONTEXT;
  return {
    ageYears: c.ageYears.value,
    sex: c.sex.value,
    familyHistory: c.familyHistory.value,
    emphysema: c.emphysema.value,
    fleischnerRisk: c.fleischnerRisk.value,
  };
}

export type ReviewStatus = 'pending' | 'accepted' | 'rejected' | 'edited' | 'manual';

/** A finding as the report shows it: the model's numbers, or the reader's when edited or added. */
export interface ReviewedFinding {
  finding: Finding;
  status: ReviewStatus;
  decision?: ReviewDecision;
  source: 'model' | 'reader';
}

export function emptyReview(seriesInstanceUid: string): StudyReview {
  return { seriesInstanceUid, decisions: {}, manual: [], notes: [] };
}

function checkMeasurement(m: BidirectionalMeasurement): void {
  const ok = (v: number) => Number.isFinite(v) && v > 0;
  if (!ok(m.longAxisMm) || !ok(m.shortAxisMm) || m.shortAxisMm > m.longAxisMm + 1e-9) {
    throw new RangeError(
      `a bidirectional measurement needs 0 < short axis <= long axis, got ${m.longAxisMm} x ${m.shortAxisMm} mm`,
    );
  }
  if (m.solidComponentMm !== undefined && !(m.solidComponentMm >= 0)) {
    throw new RangeError(`solid component must be >= 0 mm, got ${m.solidComponentMm}`);
  }
}

/** Records (or replaces) the decision on one model finding. */
export function decide(review: StudyReview, findingId: string, decision: ReviewDecision): StudyReview {
  if (decision.kind === 'edited') checkMeasurement(decision.measurement);
  return { ...review, decisions: { ...review.decisions, [findingId]: decision } };
}

export function addManualFinding(review: StudyReview, finding: ManualFinding): StudyReview {
  checkMeasurement(finding.measurement);
  if (review.manual.some((m) => m.id === finding.id)) {
    throw new RangeError(`a manual finding ${finding.id} already exists`);
  }
  return { ...review, manual: [...review.manual, finding] };
}

export function addNote(review: StudyReview, note: ReviewNote): StudyReview {
  return { ...review, notes: [...review.notes, note] };
}

const round = (v: number, d: number) => Math.round(v * 10 ** d) / 10 ** d;

const typeTerm = (t: NoduleType) =>
  t === 'ground-glass' ? BROCK_COEFFICIENTS.nonSolid : t === 'part-solid' ? BROCK_COEFFICIENTS.partSolid : 0;

/**
 * Brock risk after the reader changes size or type. The Brock logit is a sum of independent terms,
 * so only the size and type terms are swapped: age, sex, lobe and nodule count stay what the
 * pipeline used (the finding does not carry them).
 */
export function rescaleBrockRisk(
  risk: number,
  before: { longAxisMm: number; type: NoduleType },
  after: { longAxisMm: number; type: NoduleType },
): number {
  const p = Math.min(Math.max(risk, 1e-9), 1 - 1e-9);
  const logit =
    Math.log(p / (1 - p)) +
    BROCK_COEFFICIENTS.sizeTransformed *
      (brockSizeTerm(Math.max(after.longAxisMm, 0.1)) - brockSizeTerm(Math.max(before.longAxisMm, 0.1))) +
    typeTerm(after.type) -
    typeTerm(before.type);
  return 1 / (1 + Math.exp(-logit));
}

// The pipeline's Fleischner line names the row it used ("Fleischner 2017, multiple solid nodule
// 7 mm, low risk: ..."); reading it back keeps an edit on the same row without the patient facts.
function multipleFrom(fleischner: string): boolean {
  return /^Fleischner 2017, multiple /.test(fleischner);
}

function fleischnerRiskFrom(fleischner: string, fallback: FleischnerRisk): FleischnerRisk {
  if (/ mm, low risk:/.test(fleischner)) return 'low';
  if (/ mm, high risk:/.test(fleischner)) return 'high';
  return fallback;
}

/**
 * The finding with the reader's margin: Brock's spiculation term swapped in the logit (the other
 * terms stay what the pipeline used) and Lung-RADS recomputed with or without the 4X modifier.
 */
export function applyMargin(finding: Finding, spiculated: boolean): Finding {
  if (finding.spiculated === spiculated) return finding;
  const term = (s: boolean | null) => (s === true ? BROCK_COEFFICIENTS.spiculation : 0);
  const delta = term(spiculated) - term(finding.spiculated);
  const p = Math.min(Math.max(finding.malignancyRisk, 1e-9), 1 - 1e-9);
  return {
    ...finding,
    spiculated,
    // "not assessed" -> "not spiculated" leaves the risk as computed, to the digit.
    malignancyRisk:
      delta === 0 ? finding.malignancyRisk : round(1 / (1 + Math.exp(-(Math.log(p / (1 - p)) + delta))), 4),
    lungRads: marginCategory(finding, spiculated),
  };
}

const MODIFIABLE: readonly LungRadsCategory[] = ['3', '4A', '4B'];

function marginCategory(f: Finding, spiculated: boolean): LungRadsCategory {
  // The modifier only: the base category stays the pipeline's or the edit's to the digit.
  if (spiculated) return MODIFIABLE.includes(f.lungRads) ? '4X' : f.lungRads;
  if (f.lungRads !== '4X') return f.lungRads;
  // Taking back a model's 4X needs the base category. A part-solid finding of a document written
  // before findings carried the solid component keeps its 4X: its base is unknown here.
  if (f.type === 'part-solid' && f.solidComponentMm === undefined) return f.lungRads;
  return lungRadsCategory({
    type: f.type,
    meanDiameterMm: f.diameterMm,
    ...(f.solidComponentMm !== undefined ? { solidComponentMm: f.solidComponentMm } : {}),
  });
}

/**
 * The solid component an edited part-solid nodule is categorised by: the reader's when measured,
 * else the pipeline's (an edit of the axes alone must not read as a 0 mm solid part and drop a 4B
 * to 3), never more than the new mean diameter. None for another type.
 */
function editedSolidComponent(
  finding: Finding,
  edit: { measurement: BidirectionalMeasurement; type: NoduleType },
  diameter: number,
): number | undefined {
  if (edit.type !== 'part-solid') return undefined;
  const s =
    edit.measurement.solidComponentMm ??
    (finding.type === 'part-solid' ? finding.solidComponentMm : undefined);
  return s === undefined ? undefined : round(Math.min(s, diameter), 1);
}

/**
 * The finding with the reader's measurement and type: mean diameter (long + short) / 2, volume
 * scaled as the cube of the diameter, Lung-RADS, Brock risk and Fleischner advice recomputed.
 */
export function applyEdit(
  finding: Finding,
  edit: { measurement: BidirectionalMeasurement; type: NoduleType },
  ctx: Pick<ReviewContext, 'fleischnerRisk'> & { multiple?: boolean } = { fleischnerRisk: 'unknown' },
): Finding {
  const m = edit.measurement;
  checkMeasurement(m);
  const diameter = (m.longAxisMm + m.shortAxisMm) / 2;
  const scale = finding.diameterMm > 0 ? (diameter / finding.diameterMm) ** 3 : 1;
  const volume = finding.volumeMm3 > 0 ? finding.volumeMm3 * scale : (Math.PI / 6) * diameter ** 3;
  const multiple = ctx.multiple ?? multipleFrom(finding.fleischner);
  const solid = editedSolidComponent(finding, edit, diameter);
  const { solidComponentMm: _dropped, ...rest } = finding;
  return {
    ...rest,
    ...(solid !== undefined ? { solidComponentMm: solid } : {}),
    longAxisMm: round(m.longAxisMm, 1),
    shortAxisMm: round(m.shortAxisMm, 1),
    // Lung-RADS's own rounding, so the size shown and the category never disagree (5.95 -> 6.0).
    diameterMm: roundTenth(diameter),
    volumeMm3: round(volume, 1),
    type: edit.type,
    malignancyRisk: round(
      rescaleBrockRisk(
        finding.malignancyRisk,
        { longAxisMm: finding.longAxisMm, type: finding.type },
        { longAxisMm: m.longAxisMm, type: edit.type },
      ),
      4,
    ),
    lungRads: lungRadsCategory({
      type: edit.type,
      meanDiameterMm: diameter,
      ...(solid !== undefined ? { solidComponentMm: solid } : {}),
      spiculated: finding.spiculated === true,
    }),
    fleischner: fleischnerRecommendation({
      type: edit.type,
      meanDiameterMm: diameter,
      solidComponentMm: solid,
      multiple,
      risk: fleischnerRiskFrom(finding.fleischner, ctx.fleischnerRisk),
    }),
  };
}

/** A hand-added nodule scored with the same rules as the model's findings. */
export function manualToFinding(m: ManualFinding, ctx: ReviewContext, noduleCount: number): Finding {
  checkMeasurement(m.measurement);
  const diameter = (m.measurement.longAxisMm + m.measurement.shortAxisMm) / 2;
  return {
    id: m.id,
    centerLps: m.centerLps,
    centerVoxel: m.centerVoxel,
    probability: 1,
    diameterMm: roundTenth(diameter),
    longAxisMm: round(m.measurement.longAxisMm, 1),
    shortAxisMm: round(m.measurement.shortAxisMm, 1),
    volumeMm3: round(m.volumeMm3 ?? (Math.PI / 6) * diameter ** 3, 1),
    meanHu: Number.NaN,
    type: m.type,
    spiculated: m.spiculated,
    malignancyRisk: round(
      brockRisk({
        ageYears: ctx.ageYears,
        sex: ctx.sex,
        familyHistory: ctx.familyHistory,
        emphysema: ctx.emphysema,
        noduleSizeMm: m.measurement.longAxisMm,
        type: m.type,
        upperLobe: m.upperLobe,
        noduleCount: Math.max(1, noduleCount),
        spiculated: m.spiculated,
      }),
      4,
    ),
    lungRads: lungRadsCategory({
      type: m.type,
      meanDiameterMm: diameter,
      ...(m.measurement.solidComponentMm !== undefined
        ? { solidComponentMm: m.measurement.solidComponentMm }
        : {}),
      spiculated: m.spiculated,
    }),
    fleischner: fleischnerRecommendation({
      type: m.type,
      meanDiameterMm: diameter,
      solidComponentMm: m.measurement.solidComponentMm,
      multiple: noduleCount > 1,
      risk: ctx.fleischnerRisk,
    }),
  };
}

/**
 * Brock risk with the scan's nodule count changed (the count term is additive in the logit): the
 * pipeline counted every candidate it thought a nodule; a review counts what the reader kept.
 */
export function rescaleBrockCount(risk: number, countBefore: number, countAfter: number): number {
  const p = Math.min(Math.max(risk, 1e-9), 1 - 1e-9);
  const logit =
    Math.log(p / (1 - p)) +
    BROCK_COEFFICIENTS.countFrom4 * (Math.max(1, countAfter) - Math.max(1, countBefore));
  return 1 / (1 + Math.exp(-logit));
}

/**
 * A finding's count-dependent numbers for a scan with `count` nodules: Fleischner's single vs
 * multiple row and the Brock count term. Unchanged (the same object) when the count agrees with
 * what the pipeline assumed, so an untouched analysis keeps its numbers to the digit.
 */
function withNoduleCount(f: Finding, pipelineCount: number, count: number, ctx: ReviewContext): Finding {
  const multiple = count > 1;
  const sameRow = multipleFrom(f.fleischner) === multiple;
  const sameCount = Math.max(1, count) === Math.max(1, pipelineCount);
  if (sameRow && sameCount) return f;
  return {
    ...f,
    malignancyRisk: sameCount
      ? f.malignancyRisk
      : round(rescaleBrockCount(f.malignancyRisk, pipelineCount, count), 4),
    fleischner: sameRow
      ? f.fleischner
      : fleischnerRecommendation({
          type: f.type,
          meanDiameterMm: f.diameterMm,
          solidComponentMm: f.solidComponentMm,
          multiple,
          risk: fleischnerRiskFrom(f.fleischner, ctx.fleischnerRisk),
        }),
  };
}

/**
 * Whether the pipeline counted a finding as a nodule for Brock and Fleischner: every finding of a
 * two-stage document (all are above its operating threshold, src/core/findings/assemble), those
 * at NODULE_COUNT_LEVEL or more in documents written before it.
 */
function pipelineCounted(doc: FindingsDocument, f: Finding): boolean {
  return doc.operatingThreshold !== undefined || f.probability >= NODULE_COUNT_LEVEL;
}

/** The nodule count the pipeline used for Brock and Fleischner. */
export function pipelineNoduleCount(doc: FindingsDocument): number {
  return Math.max(1, doc.findings.filter((f) => pipelineCounted(doc, f)).length);
}

/** Model findings the reader is asked about: those at or above the operating threshold. */
export function findingsUnderReview(doc: FindingsDocument, minProbability = 0): Finding[] {
  return doc.findings.filter((f) => f.probability >= minProbability);
}

/** Every model finding (at or above minProbability) with its status, then the reader's own. */
export function reviewedFindings(
  doc: FindingsDocument,
  review: StudyReview,
  opts: { minProbability?: number; context?: ReviewContext } = {},
): ReviewedFinding[] {
  const ctx = opts.context ?? reviewContextOf(doc);
  const underReview = findingsUnderReview(doc, opts.minProbability);
  // The scan's nodules as the review stands: what the reader kept or added, plus undecided
  // candidates the pipeline itself counted as nodules (so an untouched analysis keeps its numbers).
  // Fleischner's single / multiple row and the Brock count term follow this count.
  const count =
    underReview.filter((f) => {
      const d = review.decisions[f.id];
      return d ? d.kind !== 'rejected' : pipelineCounted(doc, f);
    }).length + review.manual.length;
  const pipelineCount = pipelineNoduleCount(doc);
  const model: ReviewedFinding[] = underReview.map((f) => {
    const d = review.decisions[f.id];
    if (d?.kind === 'rejected') return { finding: f, status: d.kind, decision: d, source: 'model' };
    const counted = withNoduleCount(f, pipelineCount, count, ctx);
    if (!d) return { finding: counted, status: 'pending', source: 'model' };
    const marked = d.spiculated !== undefined ? applyMargin(counted, d.spiculated) : counted;
    if (d.kind === 'edited') {
      return {
        finding: applyEdit(marked, d, { fleischnerRisk: ctx.fleischnerRisk, multiple: count > 1 }),
        status: 'edited',
        decision: d,
        source: 'model',
      };
    }
    return { finding: marked, status: d.kind, decision: d, source: 'model' };
  });
  const manual: ReviewedFinding[] = review.manual.map((m) => ({
    finding: manualToFinding(m, ctx, count),
    status: 'manual',
    source: 'reader',
  }));
  return [...model, ...manual];
}

/** Whether the margin a reviewed finding shows is the reader's call (else the model's, or none). */
export function readerMargin(r: ReviewedFinding): boolean {
  if (r.source === 'reader') return true;
  const d = r.decision;
  return (d?.kind === 'accepted' || d?.kind === 'edited') && d.spiculated !== undefined;
}

/** Findings the reader kept: accepted, edited or added by hand. */
export function acceptedFindings(reviewed: readonly ReviewedFinding[]): Finding[] {
  return reviewed
    .filter((r) => r.status === 'accepted' || r.status === 'edited' || r.status === 'manual')
    .map((r) => r.finding);
}

/** A study is reviewed only when every finding under review has a decision. */
export function isReviewed(doc: FindingsDocument, review: StudyReview, minProbability = 0): boolean {
  return findingsUnderReview(doc, minProbability).every((f) => review.decisions[f.id] !== undefined);
}

const CATEGORY_ORDER: readonly LungRadsCategory[] = ['1', '2', '3', '4A', '4B', '4X'];

/** Exam-level Lung-RADS: the highest category over kept findings; 1 when none is kept. */
export function examLungRads(reviewed: readonly ReviewedFinding[]): LungRadsCategory {
  let best: LungRadsCategory = '1';
  for (const f of acceptedFindings(reviewed)) {
    if (CATEGORY_ORDER.indexOf(f.lungRads) > CATEGORY_ORDER.indexOf(best)) best = f.lungRads;
  }
  return best;
}
