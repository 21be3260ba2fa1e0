/**
 * The reading workflow's handlers: request validation (zod contract and the handlers' own checks),
 * analyses and reviews stored in a real vault and read back after the vault is locked and opened
 * again (a reopened study shows its results without re-running), reviewer stamping and audit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PulmoLensError } from '../../src/common/errors';
import type { Finding, FindingsDocument } from '../../src/common/findings/findings-document';
import { createVault, openVault, type UnlockedVault } from '../../src/core/vault';
import { createAnalysisHandlers } from '../../src/main/ipc/analysis-handlers';
import { stampReview } from '../../src/core/review/stamp';
import {
  memoryAnalysisStore,
  vaultAnalysisStore,
  type StoredAnalysisMeta,
} from '../../src/core/findings/analysis-store';
import type { HandlerContext } from '../../src/main/ipc/router';
import { requestSchemas } from '../../src/shared/ipc-contract';
import { scanDicomInputs } from '../../src/core/dicom';
import { missingData, sharedPath } from '../support/shared-data';

const CT_SMALL = 'dicom/pydicom/test_files/CT_small.dcm';

const WEAK = {
  kdf: { memoryKiB: 256, iterations: 1, parallelism: 1 },
  allowWeakKdf: true,
  idleLockMs: 0,
} as const;
const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

const ctx: HandlerContext = { signal: new AbortController().signal, progress: () => {} };

function finding(id: string, probability: number, over: Partial<Finding> = {}): Finding {
  return {
    id,
    centerLps: [56.2, 86.3, -115.9],
    centerVoxel: [350, 300, 40],
    probability,
    diameterMm: 8,
    longAxisMm: 9,
    shortAxisMm: 7,
    volumeMm3: 268,
    meanHu: -40,
    type: 'solid',
    spiculated: false,
    malignancyRisk: 0.08,
    lungRads: '4A',
    fleischner: 'Fleischner 2017, single solid nodule 8 mm, low risk: CT at 6-12 months',
    ...over,
  };
}

const document: FindingsDocument = {
  seriesInstanceUid: '1.2.3',
  model: { name: 'pulmolens-detector', version: '0.1.0', sha256: 'ab'.repeat(32) },
  executionProvider: 'cpu',
  timingsMs: { total: 1 },
  findings: [finding('f1', 0.9), finding('f2', 0.7, { malignancyRisk: 0.2 }), finding('f3', 0.2)],
};
const dims: [number, number, number] = [4, 3, 2];
const meta: StoredAnalysisMeta = {
  key: 'series-a',
  document,
  analysedAt: '2026-11-22T10:00:00.000Z',
  heatmap: { dims, spacingMm: [1, 1, 2], originLps: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] },
  warnings: [],
};
const heat = Uint8Array.from({ length: 24 }, (_, i) => i * 10);

const noSeries = async () => {
  throw new PulmoLensError('NOT_FOUND', 'no series in this test');
};

describe('analysis IPC validation', () => {
  it('rejects bad review and export requests before any handler runs', () => {
    const review = requestSchemas['review.save'];
    expect(review.safeParse({ key: 'k', decisions: { f1: { kind: 'accepted' } } }).success).toBe(true);
    expect(review.safeParse({ key: 'k', decisions: { f1: { kind: 'maybe' } } }).success).toBe(false);
    const edit = (longAxisMm: number, shortAxisMm: number) =>
      review.safeParse({
        key: 'k',
        decisions: { f1: { kind: 'edited', type: 'solid', measurement: { longAxisMm, shortAxisMm } } },
      }).success;
    expect(edit(9, 7)).toBe(true);
    expect(edit(7, 9)).toBe(false); // short axis longer than the long one
    expect(edit(-1, -2)).toBe(false);
    expect(
      requestSchemas['report.export'].safeParse({ key: 'k', outDir: '/x', formats: ['docx'] }).success,
    ).toBe(false);
    expect(requestSchemas['analysis.run'].safeParse({ key: '', taskId: 't' }).success).toBe(false);
    expect(
      requestSchemas['eval.run'].safeParse({ studies: '/s', annotations: '/a', threshold: 2, outDir: '/o' })
        .success,
    ).toBe(false);
    // Results name series: they go only to a folder the researcher chose, never to a temp folder.
    expect(requestSchemas['eval.run'].safeParse({ studies: '/s', annotations: '/a' }).success).toBe(false);
    expect(
      requestSchemas['eval.run'].safeParse({ studies: '/s', annotations: '/a', outDir: '/o' }).success,
    ).toBe(true);
  });

  it('needs an analysis before a review, knows its findings, and wants an absolute report folder', async () => {
    const h = createAnalysisHandlers({
      series: noSeries,
      store: memoryAnalysisStore(),
      reviewer: () => 'dr-a',
    });
    const save = (decisions: Record<string, { kind: 'accepted' }>) =>
      h['review.save']({ key: 'series-a', decisions, manual: [], notes: [] }, ctx);
    await expect(save({ f1: { kind: 'accepted' } })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await h['analysis.get']({ key: 'series-a' }, ctx)).toBeNull();
    await expect(Promise.resolve(h['analysis.heatmap']({ key: 'series-a' }, ctx))).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    const store = memoryAnalysisStore();
    await store.saveAnalysis(meta, heat);
    const h2 = createAnalysisHandlers({ series: noSeries, store, reviewer: () => 'dr-a' });
    await expect(
      h2['review.save'](
        { key: 'series-a', decisions: { nope: { kind: 'accepted' } }, manual: [], notes: [] },
        ctx,
      ),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('nope') });
    await expect(
      h2['report.export']({ key: 'series-a', outDir: 'relative/dir', formats: ['pdf'] }, ctx),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('review stamping', () => {
  it('stamps new and changed entries with the user and time, keeps unchanged ones', () => {
    const previous = {
      seriesInstanceUid: '1.2.3',
      decisions: { f1: { kind: 'accepted' as const, reviewer: 'dr-old', at: '2026-01-01T00:00:00.000Z' } },
      manual: [],
      notes: [],
    };
    const r = stampReview(
      {
        decisions: {
          f1: { kind: 'accepted', reviewer: 'someone-else', at: '1999-01-01' },
          f2: { kind: 'rejected', reviewer: 'forged' },
        },
        manual: [],
        notes: [{ text: 'looks benign' }],
      },
      previous,
      'dr-new',
      '2026-11-22T12:00:00.000Z',
    );
    expect(r.decisions.f1).toEqual(previous.decisions.f1);
    expect(r.decisions.f2).toEqual({ kind: 'rejected', reviewer: 'dr-new', at: '2026-11-22T12:00:00.000Z' });
    expect(r.notes[0]).toMatchObject({ text: 'looks benign', reviewer: 'dr-new' });
  });
});

describe.skipIf(missingData(CT_SMALL))('analyses in the vault', () => {
  it('are shown again after the vault is locked and reopened, with the review and the heatmap', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'pl-analysis-')), 'vault');
    dirs.push(join(dir, '..'));
    let vault: UnlockedVault = await createVault(dir, 'correct horse battery', WEAK);
    // Results are stored under their study and series: the series is in the vault first.
    const scanned = (await scanDicomInputs([sharedPath(CT_SMALL)])).series[0]!;
    await vault.importSeries(scanned);
    const key = scanned.key;
    const session = { require: () => vault };
    let clock = Date.parse('2026-11-22T12:00:00.000Z');
    const deps = () => ({
      series: noSeries,
      store: vaultAnalysisStore(session),
      reviewer: () => 'dr-a',
      now: () => new Date((clock += 1000)),
    });
    await deps().store.saveAnalysis({ ...meta, key }, heat);
    const h = createAnalysisHandlers(deps());
    const saved = await h['review.save'](
      { key: key, decisions: { f1: { kind: 'accepted' } }, manual: [], notes: [{ text: 'n1' }] },
      ctx,
    );
    // f2 (0.7) is above the 0.5 operating threshold and still open.
    expect(saved.reviewed).toBe(false);
    const done = await h['review.save'](
      {
        key: key,
        decisions: { ...saved.review.decisions, f2: { kind: 'rejected', reason: 'vessel' } },
        manual: [],
        notes: [...saved.review.notes],
      },
      ctx,
    );
    expect(done.reviewed).toBe(true);
    expect(done.review.decisions.f1).toEqual(saved.review.decisions.f1);

    await vault.lock('manual');
    vault = await openVault(dir, 'correct horse battery', { idleLockMs: 0 });
    const reopened = createAnalysisHandlers(deps());
    const got = await reopened['analysis.get']({ key: key }, ctx);
    expect(got).not.toBeNull();
    expect(got!.stored).toBe(true);
    expect(got!.document).toEqual(document);
    expect(got!.model.sha256).toBe(document.model.sha256);
    expect(got!.executionProvider).toBe('cpu');
    expect(got!.review.decisions.f2).toMatchObject({ kind: 'rejected', reason: 'vessel', reviewer: 'dr-a' });
    expect(got!.review.notes).toHaveLength(1);
    const bytes = new Uint8Array(await reopened['analysis.heatmap']({ key: key }, ctx));
    expect([...bytes]).toEqual([...heat]);
    const events = (await vault.auditEntries()).map((e) => e.event);
    expect(events.filter((e) => e === 'study-analysed').length).toBeGreaterThanOrEqual(1);
    expect(events.filter((e) => e === 'review-saved')).toHaveLength(2);
    await vault.lock('manual');
  });
});

describe.skipIf(missingData(CT_SMALL))('clinical inputs in the vault', () => {
  const clinical: NonNullable<FindingsDocument['clinical']> = {
    ageYears: { value: 62, source: 'assumed' },
    sex: { value: 'male', source: 'dicom' },
    familyHistory: { value: false, source: 'assumed' },
    emphysema: { value: false, source: 'assumed' },
    fleischnerRisk: { value: 'low', source: 'entered' },
  };
  const withClinical: FindingsDocument = {
    ...document,
    clinical,
    emphysema: {
      laaPercent: 7.3,
      thresholdHu: -950,
      cutoffPercent: 5,
      suggested: true,
      lungVoxels: 9000,
      lungFound: true,
    },
  };

  it('an edit is stored as entered by the reader, changes the stored risk, survives lock/unlock and is audit-logged', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'pl-clinical-')), 'vault');
    dirs.push(join(dir, '..'));
    let vault: UnlockedVault = await createVault(dir, 'correct horse battery', WEAK);
    const scanned = (await scanDicomInputs([sharedPath(CT_SMALL)])).series[0]!;
    await vault.importSeries(scanned);
    const key = scanned.key;
    const deps = () => ({
      series: noSeries,
      store: vaultAnalysisStore({ require: () => vault }),
      reviewer: () => 'Dr Ada Reader (R-42)',
      now: () => new Date('2026-12-02T02:00:00.000Z'),
    });
    await deps().store.saveAnalysis({ ...meta, key, document: withClinical }, heat);
    const h = createAnalysisHandlers(deps());

    // The request is validated before the handler: whole years in range, known fields, one at least.
    const schema = requestSchemas['analysis.setClinical'];
    expect(schema.safeParse({ key, change: { ageYears: 71 } }).success).toBe(true);
    expect(schema.safeParse({ key, change: { ageYears: 71.5 } }).success).toBe(false);
    expect(schema.safeParse({ key, change: { ageYears: 130 } }).success).toBe(false);
    expect(schema.safeParse({ key, change: { smoker: true } }).success).toBe(false);
    expect(schema.safeParse({ key, change: {} }).success).toBe(false);

    // The reader confirms the LAA-950 suggestion and corrects the age.
    const r = await h['analysis.setClinical']({ key, change: { ageYears: 74, emphysema: true } }, ctx);
    expect(r.document.clinical!.emphysema).toEqual({
      value: true,
      source: 'entered',
      enteredBy: 'Dr Ada Reader (R-42)',
      enteredAt: '2026-12-02T02:00:00.000Z',
    });
    expect(r.document.findings[0]!.malignancyRisk).toBeGreaterThan(0.08);

    await vault.lock('manual');
    vault = await openVault(dir, 'correct horse battery', { idleLockMs: 0 });
    const got = (await createAnalysisHandlers(deps())['analysis.get']({ key }, ctx))!;
    expect(got.document.clinical!.ageYears).toMatchObject({ value: 74, enteredBy: 'Dr Ada Reader (R-42)' });
    expect(got.document.clinical!.sex).toEqual(clinical.sex);
    expect(got.document.findings.map((f) => f.malignancyRisk)).toEqual(
      r.document.findings.map((f) => f.malignancyRisk),
    );
    // Brock logit moved by exactly the patient terms: 12 years x 0.0287 + emphysema 0.2953.
    const logit = (p: number) => Math.log(p / (1 - p));
    expect(logit(got.document.findings[1]!.malignancyRisk) - logit(0.2)).toBeCloseTo(12 * 0.0287 + 0.2953, 3);
    // The Fleischner risk did not change: neither did the advice; the heatmap is untouched.
    expect(got.document.findings[0]!.fleischner).toBe(document.findings[0]!.fleischner);
    expect([
      ...new Uint8Array(await createAnalysisHandlers(deps())['analysis.heatmap']({ key }, ctx)),
    ]).toEqual([...heat]);
    const entry = (await vault.auditEntries()).find((e) => e.event === 'clinical-inputs-changed');
    expect(entry).toMatchObject({ details: { fields: 'ageYears,emphysema', kind: 'analysis' } });
    expect(entry!.studyRef).toBe(vault.seriesLocation(key).studyRef);
    // Which facts changed, never their values.
    expect(entry!.details).toEqual({
      fields: 'ageYears,emphysema',
      objectId: expect.any(String),
      kind: 'analysis',
    });

    // An analysis stored before the facts were recorded cannot be rescaled: named, nothing stored.
    await deps().store.saveAnalysis({ ...meta, key, document }, heat);
    await expect(
      createAnalysisHandlers(deps())['analysis.setClinical']({ key, change: { ageYears: 60 } }, ctx),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/analyse it again/) });
    await vault.lock('manual');
  });
});
