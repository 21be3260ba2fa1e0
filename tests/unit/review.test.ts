import { describe, expect, it } from 'vitest';
import { brockRisk, type BrockInputs } from '../../src/common/findings/brock';
import type { Finding, FindingsDocument } from '../../src/common/findings/findings-document';
import { fleischnerRecommendation } from '../../src/common/findings/fleischner';
import { lungRadsCategory } from '../../src/common/findings/lung-rads';
import {
  acceptedFindings,
  addManualFinding,
  addNote,
  applyEdit,
  applyMargin,
  decide,
  emptyReview,
  examLungRads,
  isReviewed,
  parseStudyReview,
  readerMargin,
  reviewedFindings,
  type ManualFinding,
} from '../../src/common/review';

const patient = { ageYears: 65, sex: 'female', familyHistory: false, emphysema: true } as const;

function brock(long: number, type: Finding['type'], extra: Partial<BrockInputs> = {}): number {
  return brockRisk({
    ...patient,
    noduleSizeMm: long,
    type,
    upperLobe: true,
    noduleCount: 2,
    spiculated: false,
    ...extra,
  });
}

function finding(id: string, long: number, short: number, probability: number): Finding {
  const d = (long + short) / 2;
  return {
    id,
    centerLps: [10, 20, -100],
    centerVoxel: [100, 200, 40],
    probability,
    diameterMm: d,
    longAxisMm: long,
    shortAxisMm: short,
    volumeMm3: (Math.PI / 6) * d ** 3,
    meanHu: 10,
    type: 'solid',
    spiculated: false,
    malignancyRisk: brock(long, 'solid'),
    lungRads: lungRadsCategory({ type: 'solid', meanDiameterMm: d }),
    fleischner: fleischnerRecommendation({ type: 'solid', meanDiameterMm: d, multiple: true, risk: 'high' }),
  };
}

const doc: FindingsDocument = {
  seriesInstanceUid: '1.2.3',
  model: { name: 'det', version: '1', sha256: 'ab' },
  executionProvider: 'cpu',
  timingsMs: {},
  findings: [finding('F001', 9, 7, 0.9), finding('F002', 5, 4, 0.7), finding('F003', 4, 3, 0.2)],
};
const by = { reviewer: 'Dr A', at: '2026-11-22T10:00:00.000Z' };

describe('review decisions', () => {
  it('is reviewed only when every finding under review has a decision', () => {
    let r = emptyReview('1.2.3');
    expect(isReviewed(doc, r)).toBe(false);
    r = decide(r, 'F001', { kind: 'accepted', ...by });
    r = decide(r, 'F002', { kind: 'rejected', reason: 'vessel', ...by });
    expect(isReviewed(doc, r)).toBe(false);
    // F003 lies below an operating threshold of 0.5: not under review there.
    expect(isReviewed(doc, r, 0.5)).toBe(true);
    r = decide(r, 'F003', { kind: 'accepted', ...by });
    expect(isReviewed(doc, r)).toBe(true);
  });

  it('decide and addNote return new reviews and leave the old one untouched', () => {
    const r0 = emptyReview('1.2.3');
    const r1 = addNote(decide(r0, 'F001', { kind: 'accepted', ...by }), { text: 'ok', ...by });
    expect(Object.keys(r0.decisions)).toHaveLength(0);
    expect(r0.notes).toHaveLength(0);
    expect(r1.notes[0]?.text).toBe('ok');
  });

  it('rejects an edit whose short axis exceeds the long axis', () => {
    expect(() =>
      decide(emptyReview('1.2.3'), 'F001', {
        kind: 'edited',
        measurement: { longAxisMm: 5, shortAxisMm: 6 },
        type: 'solid',
        ...by,
      }),
    ).toThrow(RangeError);
  });
});

describe('applyEdit', () => {
  it('recomputes diameter, Lung-RADS, Brock risk and Fleischner from the new measurement and type', () => {
    const f = doc.findings[1]!; // 5 x 4 solid: Lung-RADS 2
    expect(f.lungRads).toBe('2');
    const e = applyEdit(
      f,
      { measurement: { longAxisMm: 17, shortAxisMm: 15 }, type: 'part-solid' },
      {
        fleischnerRisk: 'unknown',
      },
    );
    expect(e.diameterMm).toBe(16);
    expect(e.longAxisMm).toBe(17);
    // part-solid without a solid component size: total >= 6, solid < 6 -> 3
    expect(e.lungRads).toBe('3');
    // The swapped size and type terms give exactly the full model's value for the same patient.
    expect(e.malignancyRisk).toBeCloseTo(brock(17, 'part-solid'), 3);
    expect(e.malignancyRisk).toBeGreaterThan(f.malignancyRisk);
    // The pipeline's row (multiple nodules, high risk) carries over.
    expect(e.fleischner).toBe(
      fleischnerRecommendation({ type: 'part-solid', meanDiameterMm: 16, multiple: true, risk: 'high' }),
    );
    // Volume scales with the cube of the diameter.
    expect(e.volumeMm3).toBeCloseTo(f.volumeMm3 * (16 / f.diameterMm) ** 3, 0);
    const solid = applyEdit(f, {
      measurement: { longAxisMm: 17, shortAxisMm: 15, solidComponentMm: 9 },
      type: 'part-solid',
    });
    expect(solid.lungRads).toBe('4B');
  });

  it("keeps a part-solid finding's solid component when the reader edits its axes only", () => {
    // A part-solid finding the pipeline measured: 17 x 15 mm with a 9.1 mm solid component is 4B.
    const ps: Finding = {
      ...finding('F009', 17, 15, 0.95),
      type: 'part-solid',
      solidComponentMm: 9.1,
      lungRads: lungRadsCategory({ type: 'part-solid', meanDiameterMm: 16, solidComponentMm: 9.1 }),
    };
    expect(ps.lungRads).toBe('4B');
    // Re-measuring the axes (the edit form has no reason to ask for the solid part again) must not
    // drop the category to 3 as if the solid component were 0 mm.
    const same = applyEdit(ps, { measurement: { longAxisMm: 17, shortAxisMm: 15 }, type: 'part-solid' });
    expect(same.lungRads).toBe('4B');
    expect(same.solidComponentMm).toBe(9.1);
    // A solid component the reader measures wins; it never exceeds the new mean diameter.
    const smaller = applyEdit(ps, {
      measurement: { longAxisMm: 17, shortAxisMm: 15, solidComponentMm: 7 },
      type: 'part-solid',
    });
    expect(smaller.lungRads).toBe('4A');
    expect(smaller.solidComponentMm).toBe(7);
    const shrunk = applyEdit(ps, { measurement: { longAxisMm: 8, shortAxisMm: 6 }, type: 'part-solid' });
    expect(shrunk.solidComponentMm).toBe(7);
    expect(shrunk.lungRads).toBe('4A');
    // Retyped as solid: no solid component is carried.
    const solid = applyEdit(ps, { measurement: { longAxisMm: 17, shortAxisMm: 15 }, type: 'solid' });
    expect(solid.solidComponentMm).toBeUndefined();
    expect(solid.lungRads).toBe('4B');
    // Fleischner follows the solid part too: the guideline's warning at 6 mm or more, not below.
    expect(same.fleischner).toContain('highly suspicious');
    const faint = applyEdit(ps, {
      measurement: { longAxisMm: 17, shortAxisMm: 15, solidComponentMm: 4 },
      type: 'part-solid',
    });
    expect(faint.fleischner).not.toContain('highly suspicious');
    expect(solid.fleischner).not.toContain('highly suspicious');
  });

  it('the Lung-RADS band follows the rounded mean of the two axes', () => {
    const e = applyEdit(doc.findings[0]!, {
      measurement: { longAxisMm: 6.1, shortAxisMm: 5.8 },
      type: 'solid',
    });
    expect(e.diameterMm).toBe(6);
    expect(e.lungRads).toBe('3');
  });
});

describe('exam Lung-RADS', () => {
  it('is 1 when no finding is kept', () => {
    let r = emptyReview('1.2.3');
    for (const f of doc.findings) r = decide(r, f.id, { kind: 'rejected', ...by });
    expect(examLungRads(reviewedFindings(doc, r))).toBe('1');
    expect(acceptedFindings(reviewedFindings(doc, r))).toHaveLength(0);
  });

  it('is the highest category over accepted, edited and hand-added findings, never pending or rejected ones', () => {
    let r = emptyReview('1.2.3');
    r = decide(r, 'F001', { kind: 'rejected', ...by }); // 8 mm -> 4A, rejected
    r = decide(r, 'F002', { kind: 'accepted', ...by }); // 2
    expect(examLungRads(reviewedFindings(doc, r))).toBe('2');
    r = decide(r, 'F002', {
      kind: 'edited',
      measurement: { longAxisMm: 7, shortAxisMm: 6.5 },
      type: 'solid',
      ...by,
    });
    expect(examLungRads(reviewedFindings(doc, r))).toBe('3');
    const manual: ManualFinding = {
      id: 'M001',
      centerLps: [0, 0, 0],
      centerVoxel: [1, 2, 3],
      measurement: { longAxisMm: 18, shortAxisMm: 14 },
      type: 'solid',
      spiculated: true,
      upperLobe: false,
      ...by,
    };
    r = addManualFinding(r, manual);
    const reviewed = reviewedFindings(doc, r, {
      context: { ...patient, fleischnerRisk: 'low' },
    });
    const m = reviewed.find((x) => x.finding.id === 'M001')!;
    expect(m.status).toBe('manual');
    expect(m.finding.lungRads).toBe('4X'); // 16 mm solid, spiculated
    expect(m.finding.malignancyRisk).toBeCloseTo(
      brock(18, 'solid', { upperLobe: false, spiculated: true, noduleCount: 2 }),
      4,
    );
    expect(examLungRads(reviewed)).toBe('4X');
    expect(() => addManualFinding(r, manual)).toThrow(/already exists/);
  });
});

describe("the reader's margin", () => {
  // Model findings whose margin the model does not assess (the shipped characterizer's).
  const unassessed: FindingsDocument = {
    ...doc,
    findings: doc.findings.map((f) => ({ ...f, spiculated: null })),
  };

  it('a finding without a margin call is not 4X and carries no spiculation in its risk', () => {
    const rows = reviewedFindings(
      unassessed,
      decide(emptyReview('1.2.3'), 'F001', { kind: 'accepted', ...by }),
    );
    const f = rows[0]!.finding;
    expect(f.spiculated).toBeNull();
    expect(f.lungRads).toBe('4A'); // 9 x 7 mm solid: mean 8
    expect(f.malignancyRisk).toBe(unassessed.findings[0]!.malignancyRisk);
    expect(readerMargin(rows[0]!)).toBe(false);
  });

  it('spiculated on accept makes a category-4 finding 4X, raises Brock by its term and lifts the exam', () => {
    const r = decide(emptyReview('1.2.3'), 'F001', { kind: 'accepted', spiculated: true, ...by });
    const rows = reviewedFindings(unassessed, r);
    const f = rows[0]!.finding;
    expect(f.spiculated).toBe(true);
    expect(f.lungRads).toBe('4X');
    expect(readerMargin(rows[0]!)).toBe(true);
    // The same patient with spiculation in the full Brock model, to the stored 4 digits.
    expect(f.malignancyRisk).toBeCloseTo(brock(9, 'solid', { spiculated: true }), 4);
    expect(examLungRads(rows)).toBe('4X');
    // A 5 x 4 mm nodule (category 2) has no 4X to gain.
    const small = reviewedFindings(
      unassessed,
      decide(r, 'F002', { kind: 'accepted', spiculated: true, ...by }),
    );
    expect(small[1]!.finding.lungRads).toBe('2');
    // "Not spiculated" is a call too: no 4X, no term, but no longer "not assessed".
    const smooth = reviewedFindings(
      unassessed,
      decide(r, 'F001', { kind: 'accepted', spiculated: false, ...by }),
    );
    expect(smooth[0]!.finding).toMatchObject({ spiculated: false, lungRads: '4A' });
    expect(smooth[0]!.finding.malignancyRisk).toBe(unassessed.findings[0]!.malignancyRisk);
  });

  it('an edit with a margin call categorises the edited size with it', () => {
    const r = decide(emptyReview('1.2.3'), 'F002', {
      kind: 'edited',
      measurement: { longAxisMm: 7, shortAxisMm: 6 },
      type: 'solid',
      spiculated: true,
      ...by,
    });
    const f = reviewedFindings(unassessed, r)[1]!.finding;
    expect(f).toMatchObject({ spiculated: true, lungRads: '4X', longAxisMm: 7 });
    // Within the stored 4 digits, rounded twice (margin, then the edit's size term).
    expect(f.malignancyRisk).toBeCloseTo(brock(7, 'solid', { spiculated: true }), 3);
  });

  it("takes a model's 4X back when the reader says not spiculated", () => {
    const spiculated = finding('F004', 9, 7, 0.9);
    const model: Finding = {
      ...spiculated,
      spiculated: true,
      lungRads: '4X',
      malignancyRisk: brock(9, 'solid', { spiculated: true }),
    };
    const back = applyMargin(model, false);
    expect(back.lungRads).toBe('4A');
    expect(back.malignancyRisk).toBeCloseTo(brock(9, 'solid'), 4);
  });

  it('stored margin calls round-trip; a margin on a rejection is refused', () => {
    const r = decide(emptyReview('1.2.3'), 'F001', { kind: 'accepted', spiculated: true, ...by });
    expect(parseStudyReview(JSON.parse(JSON.stringify(r)), 'vault:review/1')).toEqual(r);
    const bad = JSON.parse(JSON.stringify(r));
    bad.decisions.F001 = { kind: 'rejected', spiculated: true, ...by };
    expect(() => parseStudyReview(bad, 'vault:review/1')).toThrow(/spiculated/);
  });
});

describe('stored reviews', () => {
  it('round-trip through JSON and reject malformed records with the source named', () => {
    let r = emptyReview('1.2.3');
    r = decide(r, 'F001', {
      kind: 'edited',
      measurement: { longAxisMm: 9, shortAxisMm: 8 },
      type: 'solid',
      ...by,
    });
    r = addNote(r, { text: 'ok', ...by });
    expect(parseStudyReview(JSON.parse(JSON.stringify(r)), 'vault:review/1')).toEqual(r);
    const bad = JSON.parse(JSON.stringify(r));
    bad.decisions.F001 = { kind: 'accepted', reviewer: 'x', at: 'yesterday' };
    expect(() => parseStudyReview(bad, 'vault:review/1')).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', path: 'vault:review/1' }),
    );
    bad.decisions.F001 = { kind: 'edited', reviewer: 'x', at: by.at, type: 'solid' };
    expect(() => parseStudyReview(bad, 'r.json')).toThrow(/measurement/);
  });
});
