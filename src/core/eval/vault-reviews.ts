/**
 * The site's own reviews as ground truth (issue 13). Every reviewed series in the vault is a
 * labelled case: findings the reader accepted or edited, and nodules the reader added by hand, are
 * nodules; findings the reader rejected are confirmed false positives; findings left undecided
 * count neither way (excluded marks). Hand-added nodules are therefore the model's misses.
 */
import { createHash } from 'node:crypto';
import { PulmoLensError } from '../../common/errors';
import type { ExcludedMark, ReferenceNodule, ScanRecord } from '../../common/eval';
import type { FindingsDocument, NoduleType } from '../../common/findings/findings-document';
import type { StudyReview } from '../../common/review/review';
import { parseStudyReview } from '../../common/review/review-schema';
import type { Vec3 } from '../../common/volume';
import type { UnlockedVault } from '../vault';
import { seriesKeyOfObjectName } from '../vault/object-names';
import { candidatesOf, checkFindingsDocument } from './findings-file';

export interface ReviewedSeries {
  /** The vault's series key. */
  key: string;
  document: FindingsDocument;
  review: StudyReview;
}

export type LabelDecision = 'accepted' | 'edited' | 'hand-added' | 'rejected' | 'undecided';

/** One reviewed mark, as export-labels writes it (decisions.csv). */
export interface LabelRow {
  seriesInstanceUid: string;
  findingId: string;
  decision: LabelDecision;
  centerLps: Vec3;
  /** The reader's size where edited or hand-added, else the app's measurement. */
  diameterMm: number;
  type: NoduleType;
  /** The model's probability; null for hand-added nodules. */
  probability: number | null;
}

export interface ReviewLabels {
  series: ReviewedSeries[];
  /** Series with a stored review but no stored analysis to score (counted, not scored). */
  reviewsWithoutAnalysis: number;
}

function newestByKey(vault: UnlockedVault, kind: 'review' | 'analysis', suffix: string) {
  const newest = new Map<string, { id: string; createdAt: string }>();
  for (const o of vault.listObjects({ kind })) {
    if (!o.name?.endsWith(suffix)) continue;
    const key = seriesKeyOfObjectName(o.name);
    if (key === null) continue;
    const prev = newest.get(key);
    if (!prev || prev.createdAt < o.createdAt) newest.set(key, { id: o.id, createdAt: o.createdAt });
  }
  return newest;
}

/** Every series with a review that decided something or added a nodule, with its analysis. */
export async function readReviewedSeries(vault: UnlockedVault): Promise<ReviewLabels> {
  const reviews = newestByKey(vault, 'review', '/review.json');
  const analyses = newestByKey(vault, 'analysis', '/findings.json');
  const series: ReviewedSeries[] = [];
  let reviewsWithoutAnalysis = 0;
  for (const [key, r] of [...reviews].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const review = parseStudyReview(await vault.getJson(r.id), `vault object ${r.id} (review of ${key})`);
    if (Object.keys(review.decisions).length === 0 && review.manual.length === 0) continue;
    const a = analyses.get(key);
    if (!a) {
      reviewsWithoutAnalysis++;
      continue;
    }
    const meta = await vault.getJson<{ document?: unknown }>(a.id);
    const document = checkFindingsDocument(meta.document, `vault object ${a.id} (analysis of ${key})`);
    series.push({ key, document, review });
  }
  return { series, reviewsWithoutAnalysis };
}

const meanAxis = (m: { longAxisMm: number; shortAxisMm: number }): number =>
  (m.longAxisMm + m.shortAxisMm) / 2;

export function labelRows(s: ReviewedSeries): LabelRow[] {
  const uid = s.document.seriesInstanceUid;
  const rows: LabelRow[] = s.document.findings.map((f) => {
    const d = s.review.decisions[f.id];
    const base = {
      seriesInstanceUid: uid,
      findingId: f.id,
      centerLps: f.centerLps,
      probability: f.probability,
    };
    if (!d) return { ...base, decision: 'undecided', diameterMm: f.diameterMm, type: f.type };
    if (d.kind === 'edited')
      return { ...base, decision: 'edited', diameterMm: meanAxis(d.measurement), type: d.type };
    return { ...base, decision: d.kind, diameterMm: f.diameterMm, type: f.type };
  });
  for (const m of s.review.manual) {
    rows.push({
      seriesInstanceUid: uid,
      findingId: m.id,
      decision: 'hand-added',
      centerLps: m.centerLps,
      diameterMm: meanAxis(m.measurement),
      type: m.type,
      probability: null,
    });
  }
  return rows;
}

/** The scan record scored: the model's candidates against the reader's labels. */
export function reviewScanRecord(s: ReviewedSeries): ScanRecord {
  const nodules: ReferenceNodule[] = [];
  const excluded: ExcludedMark[] = [];
  for (const r of labelRows(s)) {
    const id = `review:${r.findingId}`;
    if (r.decision === 'accepted' || r.decision === 'edited' || r.decision === 'hand-added') {
      nodules.push({ id, centerLps: r.centerLps, diameterMm: r.diameterMm, type: r.type });
    } else if (r.decision === 'undecided') {
      excluded.push({ id, centerLps: r.centerLps, diameterMm: r.diameterMm });
    }
  }
  return {
    seriesInstanceUid: s.document.seriesInstanceUid,
    model: s.document.model,
    candidates: candidatesOf(s.document),
    annotations: { nodules, excluded },
  };
}

/** A fingerprint of the labels scored, standing in for the annotation files' sha256. */
export function labelsSha256(rows: readonly LabelRow[]): string {
  return createHash('sha256').update(JSON.stringify(rows)).digest('hex');
}

export function requireReviewed(labels: ReviewLabels, vaultDir: string): void {
  if (labels.series.length === 0) {
    throw new PulmoLensError(
      'EVAL_INVALID',
      `no reviewed series with a stored analysis in the vault${labels.reviewsWithoutAnalysis ? ` (${labels.reviewsWithoutAnalysis} review(s) without one)` : ''}`,
      { path: vaultDir },
    );
  }
}

const csvNumber = (v: number): string => String(Math.round(v * 1e4) / 1e4);

/** LUNA16 annotations.csv (world mm) of the nodules, and the excluded marks, and the decisions. */
export function labelCsvs(
  rows: readonly LabelRow[],
  uidOf: (uid: string) => string = (u) => u,
): { annotations: string; excluded: string; decisions: string } {
  const header = 'seriesuid,coordX,coordY,coordZ,diameter_mm';
  const line = (r: LabelRow): string =>
    [uidOf(r.seriesInstanceUid), ...r.centerLps.map(csvNumber), csvNumber(r.diameterMm)].join(',');
  const nodule = (r: LabelRow): boolean =>
    r.decision === 'accepted' || r.decision === 'edited' || r.decision === 'hand-added';
  return {
    annotations: [header, ...rows.filter(nodule).map(line)].join('\n') + '\n',
    excluded: [header, ...rows.filter((r) => r.decision === 'undecided').map(line)].join('\n') + '\n',
    decisions:
      [
        'seriesuid,findingId,decision,coordX,coordY,coordZ,diameter_mm,type,probability',
        ...rows.map((r) =>
          [
            uidOf(r.seriesInstanceUid),
            JSON.stringify(r.findingId),
            r.decision,
            ...r.centerLps.map(csvNumber),
            csvNumber(r.diameterMm),
            r.type,
            r.probability === null ? '' : String(r.probability),
          ].join(','),
        ),
      ].join('\n') + '\n',
  };
}
