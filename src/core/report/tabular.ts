/** Findings and review decisions as JSON (complete) and CSV (one row per finding, for spreadsheets). */
import { imageNumberLabel, instanceNumbersBySlot } from '../../common/image-number';
import { readerMargin } from '../../common/review';
import type { ReportContent, ReportInput } from './report-input';
import { DISCLAIMER } from './report-input';

export const FINDINGS_REVIEW_SCHEMA = 'pulmolens.findings-review/1';

export function findingsReviewJson(input: ReportInput, content: ReportContent): string {
  const doc = {
    schema: FINDINGS_REVIEW_SCHEMA,
    disclaimer: DISCLAIMER,
    createdAt: content.createdAt.toISOString(),
    studyInstanceUid: input.metadata.studyInstanceUid,
    seriesInstanceUid: input.document.seriesInstanceUid,
    model: input.document.model,
    executionProvider: input.document.executionProvider,
    reviewed: content.isReviewed,
    reviewers: content.reviewers,
    examLungRads: content.examLungRads,
    findings: content.reviewed.map((r) => ({
      ...r.finding,
      meanHu: Number.isFinite(r.finding.meanHu) ? r.finding.meanHu : null,
      source: r.source,
      status: r.status,
      ...(r.decision ? { decision: r.decision } : {}),
    })),
    review: content.review,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export const CSV_COLUMNS = [
  'id',
  'source',
  'status',
  'reviewer',
  'decided_at',
  'probability',
  'center_x_mm',
  'center_y_mm',
  'center_z_mm',
  'slice_index',
  'image_number',
  'diameter_mm',
  'long_axis_mm',
  'short_axis_mm',
  'volume_mm3',
  'type',
  // Part-solid only: the solid part Lung-RADS sizes the nodule by.
  'solid_component_mm',
  // Empty while nobody assessed the margin (the shipped model does not); margin_by says whose call.
  'spiculated',
  'margin_by',
  'malignancy_risk',
  'lung_rads',
  'fleischner',
] as const;

function cell(v: unknown): string {
  const s = v === undefined || v === null || (typeof v === 'number' && !Number.isFinite(v)) ? '' : String(v);
  // RFC 4180 quoting; a leading = + - @ is neutralised so a spreadsheet never runs it as a formula.
  const safe = /^[=+\-@]/.test(s) && !/^-?\d/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** `frames` names each slice by its Instance Number (the viewer's and the PDF's "image"). */
export function findingsCsv(content: ReportContent, frames?: ReportInput['frames']): string {
  const lines = [CSV_COLUMNS.join(',')];
  const slices = frames ? Math.max(0, ...frames.map((f) => f.slot + 1)) : 0;
  const numbers = frames ? instanceNumbersBySlot(frames, slices) : [];
  for (const r of content.reviewed) {
    const f = r.finding;
    const who = r.decision ?? null;
    lines.push(
      [
        f.id,
        r.source,
        r.status,
        who?.reviewer ?? '',
        who?.at ?? '',
        f.probability,
        f.centerLps[0],
        f.centerLps[1],
        f.centerLps[2],
        f.centerVoxel[2],
        frames ? imageNumberLabel(numbers[Math.round(f.centerVoxel[2])], Math.round(f.centerVoxel[2])) : '',
        f.diameterMm,
        f.longAxisMm,
        f.shortAxisMm,
        f.volumeMm3,
        f.type,
        f.solidComponentMm,
        f.spiculated,
        f.spiculated === null ? '' : readerMargin(r) ? 'reader' : 'model',
        f.malignancyRisk,
        f.lungRads,
        f.fleischner,
      ]
        .map(cell)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
