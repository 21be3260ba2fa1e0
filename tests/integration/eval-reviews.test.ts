/**
 * The site's reviews as ground truth (issue 13), in a real vault holding the real LIDC-IDRI-0001
 * series, with the analysis and the review stored by the app's own store (under their study):
 * `pulmolens eval --vault --reviews` scores the model against the readers' decisions, and
 * `pulmolens vault export-labels` writes them as LUNA16 CSVs, audit-logged.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding, FindingsDocument } from '../../src/common/findings/findings-document';
import { addManualFinding, decide, emptyReview } from '../../src/common/review';
import type { Vec3 } from '../../src/common/volume';
import { scanDicomInputs } from '../../src/core/dicom';
import { createVault, openVault } from '../../src/core/vault';
import { vaultAnalysisStore } from '../../src/core/findings/analysis-store';
import { createEvalHandlers } from '../../src/main/ipc/eval-handlers';
import { inferenceConfig } from '../../src/core/inference/config';
import type { DicomBackend } from '../../src/main/dicom/dicom-backend';
import { lidcStudy, missingData, repoRoot } from '../support/shared-data';

const skip = missingData('ct/LIDC-IDRI-0001.tar.xz');
const PASS = 'correct horse battery';
const WEAK = {
  kdf: { memoryKiB: 256, iterations: 1, parallelism: 1 },
  allowWeakKdf: true,
  idleLockMs: 0,
} as const;
const MODEL = { name: 'test-detector', version: '0.0.1', sha256: '0'.repeat(64) };
const by = { reviewer: 'dr.a', at: '2026-12-01T10:00:00.000Z' };

let work: string;
let vaultDir: string;
let uid: string;

function finding(id: string, centerLps: Vec3, probability: number, diameterMm: number): Finding {
  return {
    id,
    centerLps,
    centerVoxel: [0, 0, 0],
    probability,
    diameterMm,
    longAxisMm: diameterMm,
    shortAxisMm: diameterMm,
    volumeMm3: 100,
    meanHu: 20,
    type: 'solid',
    spiculated: false,
    malignancyRisk: 0.1,
    lungRads: '4A',
    fleischner: '',
  };
}

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin/pulmolens.mjs'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, PULMOLENS_PASSPHRASE: PASS, PULMOLENS_VAULT: vaultDir },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'pulmolens-reviews-'));
  vaultDir = join(work, 'vault');
  const vault = await createVault(vaultDir, PASS, WEAK);
  const [series] = (await scanDicomInputs([lidcStudy('0001').seriesDir])).series;
  await vault.importSeries(series!);
  const key = series!.key;
  uid = series!.metadata.seriesInstanceUid;
  const store = vaultAnalysisStore({ require: () => vault });
  const document: FindingsDocument = {
    seriesInstanceUid: uid,
    model: MODEL,
    executionProvider: 'cpu',
    timingsMs: {},
    findings: [
      finding('F1', [56.2, 86.3, -115.9], 0.9, 23), // the LUNA16 nodule: accepted
      finding('F2', [0, 0, -200], 0.8, 6), // rejected: a confirmed false positive
      finding('F3', [-60, 40, -150], 0.7, 9), // edited to 11 x 7 mm: a nodule of 9 mm
      finding('F4', [-80, 20, -100], 0.6, 5), // left undecided: counts neither way
    ],
  };
  await store.saveAnalysis(
    {
      key,
      document,
      analysedAt: by.at,
      heatmap: {
        dims: [1, 1, 1],
        spacingMm: [1, 1, 1],
        originLps: [0, 0, 0],
        direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
      },
      warnings: [],
    },
    new Uint8Array(1),
  );
  let review = emptyReview(key);
  review = decide(review, 'F1', { kind: 'accepted', ...by });
  review = decide(review, 'F2', { kind: 'rejected', reason: 'vessel', ...by });
  review = decide(review, 'F3', {
    kind: 'edited',
    measurement: { longAxisMm: 11, shortAxisMm: 7 },
    type: 'part-solid',
    ...by,
  });
  review = addManualFinding(review, {
    id: 'M1',
    centerLps: [70, -30, -170],
    centerVoxel: [0, 0, 0],
    measurement: { longAxisMm: 6, shortAxisMm: 4 },
    type: 'ground-glass',
    spiculated: false,
    upperLobe: false,
    ...by,
  });
  await store.saveReview(key, review);
  await vault.lock();
  mkdirSync(join(work, 'no-models'));
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(skip)("the site's reviews as ground truth", () => {
  it('eval --vault --reviews: accepted/edited/hand-added are nodules, rejected marks false positives', () => {
    const out = join(work, 'eval');
    const r = cli(
      'eval',
      '--vault',
      vaultDir,
      '--reviews',
      '--models',
      join(work, 'no-models'),
      '--out',
      out,
    );
    expect(r.stderr).toContain(
      '1 reviewed series: 1 accepted, 1 edited, 1 hand-added (the misses), 1 rejected (confirmed false positives), 1 undecided (not counted)',
    );
    expect(r.code).toBe(0);
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(m.scans).toBe(1);
    expect(m.nodules).toBe(3);
    // F1 .9 TP, F2 .8 FP, F3 .7 TP, F4 ignored, M1 missed: F1 is best at .7 (2 TP, 1 FP, 1 FN).
    expect(m.operatingPoint).toMatchObject({ threshold: 0.7, tp: 2, fp: 1, fn: 1 });
    expect(m.operatingPoint.recall).toBeCloseTo(2 / 3, 12);
    expect(m.perScan[0].missed).toEqual([{ id: 'review:M1', centerLps: [70, -30, -170], diameterMm: 5 }]);
    const type = m.subgroups.dimensions.find((d: { dimension: string }) => d.dimension === 'nodule type');
    expect(type.rows.find((x: { group: string }) => x.group === 'ground-glass')).toMatchObject({
      nodules: 1,
      detected: 0,
    });
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('data-spot-key');
  });

  it('vault export-labels writes LUNA16 CSVs and the decisions, de-identified on request, audit-logged', async () => {
    const out = join(work, 'labels');
    const r = cli('vault', 'export-labels', '--out', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(join(out, 'annotations.csv'), 'utf8')).toBe(
      `seriesuid,coordX,coordY,coordZ,diameter_mm\n${uid},56.2,86.3,-115.9,23\n${uid},-60,40,-150,9\n${uid},70,-30,-170,5\n`,
    );
    expect(readFileSync(join(out, 'annotations_excluded.csv'), 'utf8')).toBe(
      `seriesuid,coordX,coordY,coordZ,diameter_mm\n${uid},-80,20,-100,5\n`,
    );
    const decisions = readFileSync(join(out, 'decisions.csv'), 'utf8').trim().split('\n');
    expect(decisions.map((l) => l.split(',')[2])).toEqual([
      'decision',
      'accepted',
      'rejected',
      'edited',
      'undecided',
      'hand-added',
    ]);
    // Files it did not write are never replaced.
    const again = cli('vault', 'export-labels', '--out', out);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('OUTPUT_EXISTS');

    const deid = join(work, 'labels-deid');
    expect(cli('vault', 'export-labels', '--deidentify-uids', '--out', deid).code).toBe(0);
    const rows = readFileSync(join(deid, 'decisions.csv'), 'utf8').trim().split('\n').slice(1);
    const uids = new Set(rows.map((l) => l.split(',')[0]));
    expect(uids.size).toBe(1);
    expect([...uids][0]).toMatch(/^2\.25\.\d+$/);
    expect(readFileSync(join(deid, 'annotations.csv'), 'utf8')).not.toContain(uid);

    const v = await openVault(vaultDir, PASS, { idleLockMs: 0, readOnly: true });
    const exports = (await v.auditEntries()).filter((e) => e.event === 'study-exported');
    await v.lock();
    expect(exports.map((e) => e.details)).toEqual([
      expect.objectContaining({
        what: 'review labels (export-labels)',
        series: 1,
        labels: 5,
        deidentifiedUids: false,
      }),
      expect.objectContaining({ deidentifiedUids: true }),
    ]);
  });

  it("the Evaluation page's channels: eval.runReviews and eval.exportLabels on the unlocked vault", async () => {
    const vault = await openVault(vaultDir, PASS, { idleLockMs: 0 });
    // Reviews need no DICOM scanning: a backend that is never called.
    const handlers = createEvalHandlers({
      backend: {} as DicomBackend,
      inference: inferenceConfig({ modelsDir: join(work, 'no-models') }),
      vault: { require: () => vault },
    });
    const ctx = { signal: new AbortController().signal, progress: () => undefined };
    const out = join(work, 'page-eval');
    const r = await handlers['eval.runReviews']({ outDir: out }, ctx);
    expect(r.metrics).toMatchObject({ scans: 1, nodules: 3 });
    expect(r.metrics.operatingPoint).toMatchObject({ threshold: 0.7, tp: 2, fp: 1, fn: 1 });
    expect(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'))).toEqual(r.metrics);
    const labels = await handlers['eval.exportLabels'](
      { outDir: join(work, 'page-labels'), deidentifyUids: true },
      ctx,
    );
    expect(labels).toMatchObject({ series: 1, labels: 5 });
    expect(labels.files.map((f) => f.split('/').at(-1))).toEqual([
      'annotations.csv',
      'annotations_excluded.csv',
      'decisions.csv',
    ]);
    await vault.lock();
    // Locked: a clear error, nothing written.
    await expect(
      handlers['eval.exportLabels']({ outDir: join(work, 'locked'), deidentifyUids: false }, ctx),
    ).rejects.toThrow();
  });
});
