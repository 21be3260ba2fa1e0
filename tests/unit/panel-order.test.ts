/**
 * The findings list keeps its order (and the CAD marks their numbers) while the reader decides:
 * a decision changes the Brock risk through the nodule count, an edit through the size.
 */
import { describe, expect, it } from 'vitest';
import { brockRisk } from '../../src/common/findings/brock';
import type { Finding, FindingsDocument } from '../../src/common/findings/findings-document';
import { fleischnerRecommendation } from '../../src/common/findings/fleischner';
import { addManualFinding, decide, emptyReview } from '../../src/common/review';
import type { AnalysisSummary } from '../../src/shared/analysis-contract';
import { panelRows } from '../../src/renderer/store/findings-store';

const risk = (size: number, count: number) =>
  brockRisk({
    ageYears: 62,
    sex: 'male',
    familyHistory: false,
    emphysema: false,
    noduleSizeMm: size,
    type: 'solid',
    upperLobe: false,
    noduleCount: count,
    spiculated: false,
  });

function finding(id: string, size: number, probability: number): Finding {
  return {
    id,
    centerLps: [0, 0, 0],
    centerVoxel: [0, 0, 0],
    probability,
    diameterMm: size,
    longAxisMm: size,
    shortAxisMm: size,
    volumeMm3: 100,
    meanHu: 20,
    type: 'solid',
    spiculated: false,
    malignancyRisk: Math.round(risk(size, 3) * 1e4) / 1e4,
    lungRads: '3',
    fleischner: fleischnerRecommendation({
      type: 'solid',
      meanDiameterMm: size,
      multiple: true,
      risk: 'unknown',
    }),
  };
}

describe('findings list order', () => {
  it('stays as the model ranked it through decisions and edits; hand-added nodules come last', () => {
    const document: FindingsDocument = {
      seriesInstanceUid: '1.2',
      model: { name: 'm', version: '1', sha256: 'x' },
      executionProvider: 'cpu',
      timingsMs: {},
      // Risk order: F003 (12 mm) > F001 (9 mm) > F002 (7 mm).
      findings: [finding('F001', 9, 0.95), finding('F002', 7, 0.9), finding('F003', 12, 0.85)],
    };
    const analysis = { document, threshold: 0.5 } as unknown as AnalysisSummary;
    const by = { reviewer: 'r', at: '2026-12-01T00:00:00Z' };
    const order = (review: ReturnType<typeof emptyReview>) =>
      panelRows({ analysis, review }).map((r) => r.finding.id);
    let review = emptyReview('1.2');
    expect(order(review)).toEqual(['F003', 'F001', 'F002']);
    // Rejecting F003 and F001 leaves F002 solitary: its recomputed risk now exceeds F001's original
    // one, yet the list does not move.
    review = decide(review, 'F003', { kind: 'rejected', ...by });
    review = decide(review, 'F001', { kind: 'rejected', ...by });
    review = decide(review, 'F002', {
      kind: 'edited',
      measurement: { longAxisMm: 20, shortAxisMm: 18 },
      type: 'solid',
      ...by,
    });
    const rows = panelRows({ analysis, review });
    expect(rows.find((r) => r.finding.id === 'F002')!.finding.malignancyRisk).toBeGreaterThan(
      document.findings[2]!.malignancyRisk,
    );
    expect(order(review)).toEqual(['F003', 'F001', 'F002']);
    review = addManualFinding(review, {
      id: 'manual-1',
      centerLps: [1, 1, 1],
      centerVoxel: [1, 1, 1],
      measurement: { longAxisMm: 30, shortAxisMm: 25 },
      type: 'solid',
      spiculated: true,
      upperLobe: true,
      ...by,
    });
    expect(order(review)).toEqual(['F003', 'F001', 'F002', 'manual-1']);
  });
});
