/**
 * The recompute rule for the reader's clinical inputs (src/common/findings/clinical-inputs): a
 * document rescaled to new patient facts reads as the pipeline would have written it with those
 * facts (Brock risk to the stored 4 digits, Fleischner row word for word, Lung-RADS untouched),
 * and hand-added nodules follow through the review rules.
 */
import { describe, expect, it } from 'vitest';
import {
  applyClinicalChange,
  emphysemaIndexText,
  rescaleBrockPatient,
} from '../../src/common/findings/clinical-inputs';
import { brockRisk } from '../../src/common/findings/brock';
import type { FindingsDocument } from '../../src/common/findings/findings-document';
import { reviewedFindings, manualToFinding, reviewContextOf, emptyReview } from '../../src/common/review';
import {
  assembleFindings,
  type ClinicalInputs,
  type MeasuredNodule,
  type PatientHeader,
} from '../../src/core/findings/assemble';

const nodule = (
  longAxisMm: number,
  shortAxisMm: number,
  type: MeasuredNodule['type'],
  over: Partial<MeasuredNodule> = {},
): MeasuredNodule => ({
  centerLps: [10, 20, -100],
  centerVoxel: [100, 120, 40],
  probability: 0.9,
  type,
  spiculated: false,
  m: {
    longAxisMm,
    shortAxisMm,
    meanDiameterMm: (longAxisMm + shortAxisMm) / 2,
    volumeMm3: 300,
    meanHu: -20,
    voxelCount: 500,
    axialSlice: 40,
    centroidVoxel: [100, 120, 40],
  },
  solidMm: (longAxisMm + shortAxisMm) / 2,
  upperLobe: false,
  ...over,
});

const nodules = [
  nodule(9.4, 7.1, 'solid', { spiculated: true, upperLobe: true }),
  nodule(6.8, 5.2, 'part-solid', { probability: 0.8, solidMm: 3 }),
  nodule(4.2, 3.9, 'ground-glass', { probability: 0.7 }),
];
const header: PatientHeader = { patientAge: '058Y', patientSex: 'M', patientBirthDate: '', studyDate: '' };

function documentFor(clinical: ClinicalInputs): FindingsDocument {
  const a = assembleFindings(nodules, header, clinical);
  return {
    seriesInstanceUid: '1.2.3',
    model: { name: 'm', version: '1', sha256: 'ab'.repeat(32) },
    executionProvider: 'cpu',
    timingsMs: {},
    operatingThreshold: 0.5,
    findings: a.findings,
    clinical: a.clinical,
  };
}

describe('clinical inputs: the recompute rule', () => {
  it('reads as the pipeline would have written it with the new facts', () => {
    const stored = documentFor({});
    expect(stored.clinical!.ageYears).toEqual({ value: 58, source: 'dicom' });
    const changed = applyClinicalChange(
      stored,
      { ageYears: 71, sex: 'female', familyHistory: true, emphysema: true, fleischnerRisk: 'high' },
      'Dr Ada Reader (R-42)',
      '2026-12-02T02:00:00.000Z',
    );
    const expected = documentFor({
      ageYears: 71,
      sex: 'female',
      familyHistory: true,
      emphysema: true,
      fleischnerRisk: 'high',
    });
    expect(changed.findings.map((f) => f.id)).toEqual(expected.findings.map((f) => f.id));
    changed.findings.forEach((f, i) => {
      const e = expected.findings[i]!;
      // Rescaled from the stored (4-digit) risk: equal to the stored precision.
      expect(Math.abs(f.malignancyRisk - e.malignancyRisk)).toBeLessThanOrEqual(1.5e-4);
      expect(f.malignancyRisk).toBeGreaterThan(stored.findings[i]!.malignancyRisk);
      expect(f.fleischner).toBe(e.fleischner);
      // Fleischner's subsolid rows do not depend on the clinical risk; the solid ones do.
      if (f.type === 'solid') expect(f.fleischner).toMatch(/high risk/);
      expect(f.lungRads).toBe(stored.findings[i]!.lungRads);
    });
    expect(changed.clinical!.ageYears).toEqual({
      value: 71,
      source: 'entered',
      enteredBy: 'Dr Ada Reader (R-42)',
      enteredAt: '2026-12-02T02:00:00.000Z',
    });
    // The stored document itself is not mutated.
    expect(stored.clinical!.ageYears.source).toBe('dicom');
  });

  it('a part-solid nodule with a solid part of 6 mm or more carries the Fleischner warning, before and after', () => {
    const big = [
      nodule(15, 13, 'part-solid', { solidMm: 7.2 }),
      nodule(15, 13, 'part-solid', { solidMm: 4 }),
    ];
    const a = assembleFindings(big, header, {});
    expect(a.findings.map((f) => f.fleischner.includes('highly suspicious'))).toEqual([true, false]);
    const stored = { ...documentFor({}), findings: a.findings, clinical: a.clinical };
    const changed = applyClinicalChange(
      stored,
      { fleischnerRisk: 'high' },
      'Dr Ada Reader (R-42)',
      '2026-12-02T02:00:00.000Z',
    );
    expect(changed.findings.map((f) => f.fleischner.includes('highly suspicious'))).toEqual([true, false]);
  });

  it('changes only what depends on the changed fact', () => {
    const stored = documentFor({ fleischnerRisk: 'low' });
    const older = applyClinicalChange(stored, { ageYears: 80 }, 'dr', 't');
    older.findings.forEach((f, i) => {
      expect(f.fleischner).toBe(stored.findings[i]!.fleischner);
      expect(f.malignancyRisk).toBeGreaterThan(stored.findings[i]!.malignancyRisk);
    });
    expect(older.clinical!.sex).toEqual(stored.clinical!.sex);
    // Confirming the value already used records who confirmed it and leaves every number alone.
    const confirmed = applyClinicalChange(stored, { emphysema: false }, 'Dr B', 't2');
    expect(confirmed.findings).toEqual(stored.findings);
    expect(confirmed.clinical!.emphysema).toEqual({
      value: false,
      source: 'entered',
      enteredBy: 'Dr B',
      enteredAt: 't2',
    });
    // And back: the rescaled risks return to the stored ones.
    const back = applyClinicalChange(older, { ageYears: 58 }, 'dr', 't3');
    back.findings.forEach((f, i) =>
      expect(Math.abs(f.malignancyRisk - stored.findings[i]!.malignancyRisk)).toBeLessThanOrEqual(2e-4),
    );
  });

  it('hand-added nodules are scored with the changed facts', () => {
    const changed = applyClinicalChange(documentFor({}), { ageYears: 75, sex: 'female' }, 'dr', 't');
    const review = {
      ...emptyReview('1.2.3'),
      manual: [
        {
          id: 'manual-1',
          centerLps: [0, 0, 0] as [number, number, number],
          centerVoxel: [0, 0, 0] as [number, number, number],
          measurement: { longAxisMm: 8, shortAxisMm: 6 },
          type: 'solid' as const,
          spiculated: false,
          upperLobe: true,
          reviewer: 'dr',
          at: 't',
        },
      ],
    };
    const rows = reviewedFindings(changed, review);
    const manual = rows.find((r) => r.source === 'reader')!.finding;
    expect(reviewContextOf(changed)).toMatchObject({ ageYears: 75, sex: 'female' });
    expect(manual).toEqual(manualToFinding(review.manual[0]!, reviewContextOf(changed), rows.length));
    expect(manual.malignancyRisk).toBeCloseTo(
      brockRisk({
        ageYears: 75,
        sex: 'female',
        familyHistory: false,
        emphysema: false,
        noduleSizeMm: 8,
        type: 'solid',
        upperLobe: true,
        noduleCount: 4,
        spiculated: false,
      }),
      4,
    );
  });

  it('swaps exactly the patient terms of the Brock logit', () => {
    const base = {
      noduleSizeMm: 12,
      type: 'part-solid' as const,
      upperLobe: true,
      noduleCount: 2,
      spiculated: true,
    };
    const a = { ageYears: 55, sex: 'male' as const, familyHistory: false, emphysema: false };
    const b = { ageYears: 68, sex: 'female' as const, familyHistory: true, emphysema: true };
    expect(rescaleBrockPatient(brockRisk({ ...base, ...a }), a, b)).toBeCloseTo(
      brockRisk({ ...base, ...b }),
      12,
    );
  });

  it('refuses what it cannot do, naming why', () => {
    const stored = documentFor({});
    expect(() => applyClinicalChange(stored, { ageYears: 17 }, 'dr', 't')).toThrow(
      /whole years from 18 to 110/,
    );
    expect(() => applyClinicalChange(stored, { ageYears: 60.5 }, 'dr', 't')).toThrow(/whole years/);
    expect(() => applyClinicalChange(stored, {}, 'dr', 't')).toThrow(/no clinical input/);
    const { clinical: _c, ...old } = stored;
    expect(() => applyClinicalChange(old, { ageYears: 60 }, 'dr', 't')).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(/analyse it again/) }),
    );
  });

  it('states the LAA-950 measurement with its threshold', () => {
    const index = {
      laaPercent: 2.6,
      thresholdHu: -950,
      cutoffPercent: 5,
      suggested: false,
      lungVoxels: 1e6,
      lungFound: true,
    };
    expect(emphysemaIndexText(index)).toBe(
      'LAA-950 = 2.6 % of lung voxels below \u2212950 HU; emphysema if \u2265 5 %',
    );
    expect(emphysemaIndexText({ ...index, lungFound: false })).toMatch(/not measured: no lung found/);
  });
});
