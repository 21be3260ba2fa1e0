/**
 * The patient facts the analysis used are stored in its findings document with their source, and
 * hand-added nodules are scored with them. Regression: reviews and reports fell back to a 62-year-old
 * man for hand-added nodules whatever the patient was.
 */
import { describe, expect, it } from 'vitest';
import { brockRisk } from '../../src/common/findings/brock';
import type { FindingsDocument } from '../../src/common/findings/findings-document';
import { addManualFinding, emptyReview, reviewedFindings } from '../../src/common/review/review';
import { assembleFindings } from '../../src/core/findings/assemble';

const header = { patientAge: '045Y', patientSex: 'F', patientBirthDate: '', studyDate: '20260101' };

describe('clinical inputs in the findings document', () => {
  it('records each fact with its source: DICOM, entered, or assumed', () => {
    const { clinical } = assembleFindings([], header as never, { familyHistory: true });
    expect(clinical).toEqual({
      ageYears: { value: 45, source: 'dicom' },
      sex: { value: 'female', source: 'dicom' },
      familyHistory: { value: true, source: 'entered' },
      emphysema: { value: false, source: 'assumed' },
      fleischnerRisk: { value: 'unknown', source: 'assumed' },
    });
    const none = assembleFindings([], {
      patientAge: '',
      patientSex: '',
      patientBirthDate: '',
      studyDate: '',
    } as never);
    expect(none.clinical.ageYears).toEqual({ value: 62, source: 'assumed' });
  });

  it('a hand-added nodule is scored for the stored patient (45-year-old woman, family history), not the default', () => {
    const { clinical } = assembleFindings([], header as never, { familyHistory: true, emphysema: true });
    const doc: FindingsDocument = {
      seriesInstanceUid: '1.2.3',
      model: { name: 'm', version: '1', sha256: 'a'.repeat(64) },
      executionProvider: 'cpu',
      timingsMs: {},
      findings: [],
      clinical,
    };
    const review = addManualFinding(emptyReview('1.2.3'), {
      id: 'M1',
      centerLps: [0, 0, 0],
      centerVoxel: [0, 0, 0],
      measurement: { longAxisMm: 12, shortAxisMm: 10 },
      type: 'solid',
      spiculated: false,
      upperLobe: true,
      reviewer: 'dr-a',
      at: '2026-12-01T00:00:00.000Z',
    });
    const [m] = reviewedFindings(doc, review);
    const expected = brockRisk({
      ageYears: 45,
      sex: 'female',
      familyHistory: true,
      emphysema: true,
      noduleSizeMm: 12,
      type: 'solid',
      upperLobe: true,
      noduleCount: 1,
      spiculated: false,
    });
    expect(m!.finding.malignancyRisk).toBeCloseTo(expected, 3);
    const asDefault = brockRisk({
      ageYears: 62,
      sex: 'male',
      familyHistory: false,
      emphysema: false,
      noduleSizeMm: 12,
      type: 'solid',
      upperLobe: true,
      noduleCount: 1,
      spiculated: false,
    });
    expect(Math.abs(m!.finding.malignancyRisk - asDefault)).toBeGreaterThan(0.005);
  });
});
