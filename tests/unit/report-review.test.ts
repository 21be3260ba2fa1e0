/**
 * Reports follow the reader's review: a reviewed report holds the kept findings only, with the
 * exam category, Fleischner's single / multiple row and the Brock risk recomputed from them;
 * rejected CAD marks are one line; a draft says DRAFT on every page. PDFs are read with poppler.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SeriesMetadata } from '../../src/common/dicom';
import type { FrameRef } from '../../src/core/dicom/types';
import { brockRisk } from '../../src/common/findings/brock';
import type { Finding, FindingsDocument } from '../../src/common/findings/findings-document';
import { fleischnerRecommendation } from '../../src/common/findings/fleischner';
import { lungRadsCategory } from '../../src/common/findings/lung-rads';
import { applyClinicalChange } from '../../src/common/findings/clinical-inputs';
import type { Heatmap } from '../../src/core/inference/pipeline';
import { buildPdfReport, findingsCsv, reportContent, type ReportInput } from '../../src/core/report';
import { imageNumberLabel, instanceNumbersBySlot } from '../../src/common/image-number';
import {
  addManualFinding,
  decide,
  emptyReview,
  examLungRads,
  reviewedFindings,
  type StudyReview,
} from '../../src/common/review';
import type { Volume } from '../../src/common/volume';
import { repoRoot } from '../support/shared-data';

const dims: [number, number, number] = [64, 64, 40];
const geometry = {
  dims,
  spacingMm: [1, 1, 2] as [number, number, number],
  originLps: [0, 0, 0] as [number, number, number],
  direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as Volume['direction'],
};

/** Three solid nodules the pipeline scored as a scan with three nodules ("multiple"). */
function finding(id: string, k: number, diameter: number, probability: number): Finding {
  const common = { ageYears: 62, sex: 'male', familyHistory: false, emphysema: false } as const;
  return {
    id,
    centerLps: [32, 32, 2 * k],
    centerVoxel: [32, 32, k],
    probability,
    diameterMm: diameter,
    longAxisMm: diameter,
    shortAxisMm: diameter,
    volumeMm3: (Math.PI / 6) * diameter ** 3,
    meanHu: 30,
    type: 'solid',
    spiculated: false,
    malignancyRisk:
      Math.round(
        brockRisk({
          ...common,
          noduleSizeMm: diameter,
          type: 'solid',
          upperLobe: false,
          noduleCount: 3,
          spiculated: false,
        }) * 1e4,
      ) / 1e4,
    lungRads: lungRadsCategory({ type: 'solid', meanDiameterMm: diameter, spiculated: false }),
    fleischner: fleischnerRecommendation({
      type: 'solid',
      meanDiameterMm: diameter,
      multiple: true,
      risk: 'unknown',
    }),
  };
}

const doc: FindingsDocument = {
  seriesInstanceUid: '1.2.3',
  model: { name: 'test-model', version: '9.9', sha256: 'ab'.repeat(32) },
  executionProvider: 'cpu',
  timingsMs: {},
  findings: [finding('F001', 10, 7, 0.95), finding('F002', 20, 16, 0.9), finding('F003', 30, 9, 0.8)],
};
const by = { reviewer: 'Dr Test', at: '2026-12-01T10:00:00Z' };

function reviewKeeping(kept: string[]): StudyReview {
  let r = emptyReview(doc.seriesInstanceUid);
  for (const f of doc.findings)
    r = decide(r, f.id, kept.includes(f.id) ? { kind: 'accepted', ...by } : { kind: 'rejected', ...by });
  return r;
}

describe('the review recomputes count-dependent advice', () => {
  it('leaves an untouched analysis exactly as the pipeline scored it', () => {
    const rows = reviewedFindings(doc, emptyReview(doc.seriesInstanceUid), { minProbability: 0.5 });
    expect(rows.map((r) => r.finding)).toEqual(doc.findings);
  });

  it('a solitary kept nodule gets the single-nodule Fleischner row and a higher Brock risk', () => {
    const rows = reviewedFindings(doc, reviewKeeping(['F001']), { minProbability: 0.5 });
    const kept = rows.find((r) => r.finding.id === 'F001')!;
    expect(kept.status).toBe('accepted');
    expect(kept.finding.fleischner).toMatch(/^Fleischner 2017, single solid nodule 7 mm/);
    expect(doc.findings[0]!.fleischner).toMatch(/^Fleischner 2017, multiple /);
    // Brock's count term is negative per nodule: one nodule instead of three raises the risk,
    // by exactly the model's count coefficient (-0.0824 per nodule) on the logit.
    const single = brockRisk({
      ageYears: 62,
      sex: 'male',
      familyHistory: false,
      emphysema: false,
      noduleSizeMm: 7,
      type: 'solid',
      upperLobe: false,
      noduleCount: 1,
      spiculated: false,
    });
    expect(kept.finding.malignancyRisk).toBeCloseTo(single, 4);
    expect(kept.finding.malignancyRisk).toBeGreaterThan(doc.findings[0]!.malignancyRisk);
    // The exam category comes from the kept 7 mm nodule (3), not the rejected 16 mm one (4B).
    expect(doc.findings[1]!.lungRads).toBe('4B');
    expect(examLungRads(rows)).toBe('3');
  });

  it('a hand-added nodule counts: one kept and one added are "multiple"', () => {
    const review = addManualFinding(reviewKeeping(['F001']), {
      id: 'manual-1',
      centerLps: [20, 20, 50],
      centerVoxel: [20, 20, 25],
      measurement: { longAxisMm: 8, shortAxisMm: 6 },
      type: 'solid',
      spiculated: false,
      upperLobe: false,
      ...by,
    });
    const rows = reviewedFindings(doc, review, { minProbability: 0.5 });
    expect(rows.find((r) => r.finding.id === 'F001')!.finding.fleischner).toMatch(/, multiple solid /);
    expect(rows.find((r) => r.finding.id === 'manual-1')!.finding.fleischner).toMatch(/, multiple solid /);
    expect(rows.find((r) => r.finding.id === 'manual-1')!.status).toBe('manual');
  });

  it('a two-stage document (every finding counted) keeps its numbers untouched and recounts on review', () => {
    // assemble.ts counts every finding above the operating threshold, whatever its probability.
    const low = {
      ...doc,
      operatingThreshold: 0.3,
      findings: doc.findings.map((f) => ({ ...f, probability: 0.4 })),
    };
    expect(
      reviewedFindings(low, emptyReview(low.seriesInstanceUid), { minProbability: 0.3 }).map(
        (r) => r.finding,
      ),
    ).toEqual(low.findings);
    const kept = reviewedFindings(low, reviewKeeping(['F001']), { minProbability: 0.3 }).find(
      (r) => r.finding.id === 'F001',
    )!;
    expect(kept.finding.fleischner).toMatch(/, single solid /);
    expect(kept.finding.malignancyRisk).toBeGreaterThan(low.findings[0]!.malignancyRisk);
  });

  it('two kept nodules stay "multiple"', () => {
    const rows = reviewedFindings(doc, reviewKeeping(['F001', 'F003']), { minProbability: 0.5 });
    for (const id of ['F001', 'F003'])
      expect(rows.find((r) => r.finding.id === id)!.finding.fleischner).toMatch(/, multiple solid /);
  });
});

describe('image numbers', () => {
  it('name a slice by its Instance Number, by "#index" only where it has none', () => {
    const frames = [
      { slot: 0, instanceNumber: 3 },
      { slot: 1, instanceNumber: 2 },
      { slot: 3, instanceNumber: null },
    ];
    const numbers = instanceNumbersBySlot(frames, 4);
    expect(numbers).toEqual([3, 2, null, null]);
    expect(numbers.map((n, k) => imageNumberLabel(n, k))).toEqual(['3', '2', '#3', '#4']);
    // One Instance Number shared by many frames (enhanced multi-frame) names no single slice.
    expect(
      instanceNumbersBySlot(
        [
          { slot: 0, instanceNumber: 7 },
          { slot: 1, instanceNumber: 7 },
        ],
        2,
      ),
    ).toEqual([null, null]);
  });
});

const hasPoppler = (() => {
  try {
    execFileSync('pdftotext', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasPoppler)(
  'the PDF follows the review (read with pdftotext, rendered with pdftoppm)',
  () => {
    const tmp = mkdtempSync(join(tmpdir(), 'pulmolens-report-review-'));
    const shots = join(repoRoot, 'artifacts', 'report-review');
    mkdirSync(shots, { recursive: true });
    afterAll(() => rmSync(tmp, { recursive: true, force: true }));

    const hu = new Int16Array(dims[0] * dims[1] * dims[2]).fill(-850);
    const volume: Volume = { ...geometry, hu };
    const heatmap: Heatmap = { ...geometry, data: new Uint8Array(hu.length) };
    // Instance Numbers run head to feet, as scanners number them: slot k is image 40 - k.
    const frames: FrameRef[] = Array.from({ length: dims[2] }, (_, k) => ({
      path: `/nowhere/${k}.dcm`,
      frame: 0,
      sopInstanceUid: `1.2.3.4.${k}`,
      instanceNumber: dims[2] - k,
      positionLps: [0, 0, 2 * k],
      slot: k,
    }));
    const metadata: SeriesMetadata = {
      patientName: 'Test^Patient',
      patientId: 'P1',
      patientBirthDate: '',
      patientSex: 'M',
      patientAge: '062Y',
      studyInstanceUid: '1.2',
      studyDate: '20261201',
      studyTime: '',
      studyDescription: 'CT chest',
      accessionNumber: '',
      seriesInstanceUid: '1.2.3',
      seriesNumber: 2,
      seriesDescription: 'axial',
      seriesDate: '',
      modality: 'CT',
      manufacturer: '',
      manufacturerModelName: '',
      institutionName: '',
      convolutionKernel: '',
      sliceThicknessMm: 2,
      kvp: null,
      frameOfReferenceUid: '1.2.3.9',
      bodyPartExamined: 'CHEST',
    };
    const input = (review?: StudyReview): ReportInput => ({
      metadata,
      frames,
      volume,
      heatmap,
      document: doc,
      ...(review ? { review } : {}),
      createdAt: new Date('2026-12-01T12:00:00Z'),
    });

    async function pdfText(name: string, i: ReportInput): Promise<string[]> {
      const file = join(tmp, `${name}.pdf`);
      writeFileSync(file, await buildPdfReport(i, reportContent(i)));
      execFileSync('pdftoppm', ['-png', '-r', '50', file, join(shots, name)]);
      const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [file], { encoding: 'utf8' }))?.[1]);
      return Array.from({ length: pages }, (_, n) =>
        execFileSync('pdftotext', ['-layout', '-f', String(n + 1), '-l', String(n + 1), file, '-'], {
          encoding: 'utf8',
        }),
      );
    }

    it('a reviewed report lists the kept finding only, with recomputed advice, and no DRAFT', async () => {
      const pages = await pdfText('reviewed', input(reviewKeeping(['F001'])));
      const text = pages.join('\n');
      expect(text).toContain('F001');
      expect(text).not.toMatch(/F002|F003/);
      expect(text).toContain('2 CAD marks rejected by the reader');
      expect(text).toMatch(/Fleischner 2017, single solid nodule 7 mm/);
      expect(text).not.toMatch(/multiple/);
      expect(text).toMatch(/Exam Lung-RADS \(v2022\): 3/);
      expect(text).not.toMatch(/4B/);
      expect(text).not.toMatch(/DRAFT/);
      // The image is named by its Instance Number (slot 10 is image 30), as on the PACS.
      expect(text).toMatch(/F001 \(accepted\): image 30 /);
    });

    it('the CSV names the image as the PDF does (Instance Number)', () => {
      const i = input(reviewKeeping(['F001']));
      const [head, row] = findingsCsv(reportContent(i), frames).split('\r\n');
      const col = head!.split(',').indexOf('image_number');
      expect(col).toBeGreaterThan(0);
      expect(row!.split(',')[col]).toBe('30');
    });

    it("prints the risk inputs with their sources and the risks recomputed from the reader's inputs", async () => {
      const stored: FindingsDocument = {
        ...doc,
        clinical: {
          ageYears: { value: 62, source: 'dicom' },
          sex: { value: 'male', source: 'dicom' },
          familyHistory: { value: false, source: 'assumed' },
          emphysema: { value: false, source: 'assumed' },
          fleischnerRisk: { value: 'unknown', source: 'assumed' },
        },
        emphysema: {
          laaPercent: 7.3,
          thresholdHu: -950,
          cutoffPercent: 5,
          suggested: true,
          lungVoxels: 9000,
          lungFound: true,
        },
      };
      const changed = applyClinicalChange(
        stored,
        { ageYears: 74, emphysema: true },
        'Dr Ada Reader (R-42)',
        't',
      );
      const text = (await pdfText('clinical', { ...input(reviewKeeping(['F001'])), document: changed })).join(
        '\n',
      );
      expect(text.replace(/\s+/g, ' ')).toContain(
        'Risk inputs (Brock, Fleischner): age 74 y (entered by Dr Ada Reader (R-42)), sex male (DICOM), ' +
          'family history no (assumed), emphysema yes (entered by Dr Ada Reader (R-42)), Fleischner risk unknown (assumed)',
      );
      expect(text).toContain('LAA-950 = 7.3 % of lung voxels below -950 HU; emphysema if >= 5 %');
      // The kept finding's risk in the table is the one recomputed for a 74-year-old with emphysema.
      const kept = reviewedFindings(changed, reviewKeeping(['F001'])).find((r) => r.finding.id === 'F001')!;
      expect(kept.finding.malignancyRisk).toBeGreaterThan(
        reviewedFindings(stored, reviewKeeping(['F001'])).find((r) => r.finding.id === 'F001')!.finding
          .malignancyRisk,
      );
      expect(text).toMatch(new RegExp(`F001\\s.*\\s${(kept.finding.malignancyRisk * 100).toFixed(1)}\\s`));
    });

    it('a draft says DRAFT on every page', async () => {
      const pages = await pdfText('draft', input());
      expect(pages.length).toBeGreaterThan(1);
      for (const [n, p] of pages.entries()) expect(p, `page ${n + 1}`).toMatch(/DRAFT/);
    });
  },
);
