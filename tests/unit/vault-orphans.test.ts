/**
 * Nothing left behind: analyses and reviews are stored under their study and series, deleting a
 * study removes them, `verify` reports objects whose study is gone, and garbage collection
 * removes them (audit-logged) while re-attaching what older versions stored without a study.
 * Real DICOM files (pydicom's CT_small and MR_small) in a real vault.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scanDicomInputs } from '../../src/core/dicom';
import type { FindingsDocument } from '../../src/common/findings/findings-document';
import { emptyReview } from '../../src/common/review/review';
import { createVault, openVault, type UnlockedVault } from '../../src/core/vault';
import { vaultAnalysisStore, type StoredAnalysisMeta } from '../../src/core/findings/analysis-store';
import { rewriteIndex } from '../support/legacy-vault';
import { missingData, sharedPath } from '../support/shared-data';

const PASS = 'correct horse battery';
const WEAK = {
  kdf: { memoryKiB: 256, iterations: 1, parallelism: 1 },
  allowWeakKdf: true,
  idleLockMs: 0,
} as const;
const FILES = ['dicom/pydicom/test_files/CT_small.dcm', 'dicom/pydicom/test_files/MR_small.dcm'];
const missing = missingData(...FILES);
const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

async function vaultWithTwoStudies() {
  const dir = join(mkdtempSync(join(tmpdir(), 'pl-orphans-')), 'vault');
  dirs.push(join(dir, '..'));
  const vault = await createVault(dir, PASS, WEAK);
  const imported = [];
  for (const f of FILES) {
    const scan = await scanDicomInputs([sharedPath(f)]);
    const r = await vault.importSeries(scan.series[0]!);
    imported.push({ ...r, key: scan.series[0]!.key });
  }
  return { dir, vault, imported };
}

function analysisOf(key: string): StoredAnalysisMeta {
  const document: FindingsDocument = {
    seriesInstanceUid: key,
    model: { name: 'pulmolens-detector', version: '0.1.0', sha256: 'ab'.repeat(32) },
    executionProvider: 'cpu',
    timingsMs: { total: 1 },
    findings: [],
  };
  return {
    key,
    document,
    analysedAt: '2026-12-01T00:00:00.000Z',
    heatmap: {
      dims: [2, 2, 1],
      spacingMm: [1, 1, 1],
      originLps: [0, 0, 0],
      direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    },
    warnings: [],
  } as StoredAnalysisMeta;
}

describe.skipIf(missing)('analyses and reviews live under their study', () => {
  it('deleting a study removes its analyses and reviews; loadAnalysis then fails with NOT_FOUND', async () => {
    const { vault, imported } = await vaultWithTwoStudies();
    const store = vaultAnalysisStore({ require: () => vault });
    const [a, b] = imported as [(typeof imported)[0], (typeof imported)[0]];
    for (const s of [a, b]) {
      await store.saveAnalysis(analysisOf(s.key), new Uint8Array(4));
      await store.saveReview(s.key, emptyReview(s.key));
    }
    const ofA = vault.listObjects().filter((o) => o.kind !== 'dicom' && o.studyRef === a.studyRef);
    expect(ofA.map((o) => o.kind).sort()).toEqual(['analysis', 'analysis', 'review']);
    expect(ofA.every((o) => o.seriesRef === a.seriesRef)).toBe(true);

    await vault.deleteStudy(a.studyRef);
    const left = vault.listObjects().filter((o) => o.kind !== 'dicom');
    expect(left.every((o) => o.studyRef === b.studyRef)).toBe(true);
    expect(left).toHaveLength(3);
    await expect(store.loadAnalysis(a.key)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(store.loadReview(a.key)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await store.loadAnalysis(b.key))?.key).toBe(b.key);
    expect((await vault.verify()).ok).toBe(true);
    await vault.lock();
  });

  it('refuses to store an analysis for a series the vault does not hold', async () => {
    const { vault } = await vaultWithTwoStudies();
    const store = vaultAnalysisStore({ require: () => vault });
    await expect(store.saveAnalysis(analysisOf('1.2.3.nowhere'), new Uint8Array(4))).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(vault.putObject(null, 'review', '{}')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await vault.lock();
  });

  it('a vault with objects left by an older delete: verify names them, gc removes them with an audit entry', async () => {
    const { dir, vault, imported } = await vaultWithTwoStudies();
    const [a, b] = imported as [(typeof imported)[0], (typeof imported)[0]];
    const store = vaultAnalysisStore({ require: () => vault });
    for (const s of [a, b]) {
      await store.saveAnalysis(analysisOf(s.key), new Uint8Array(4));
      await store.saveReview(s.key, emptyReview(s.key));
    }
    await vault.lock();
    // As versions before this fix stored them: no study, no series.
    await rewriteIndex(dir, PASS, (doc) => {
      for (const o of Object.values(doc.objects)) {
        if (o.kind !== 'dicom') {
          o.studyRef = null;
          o.seriesRef = null;
        }
      }
    });
    let v: UnlockedVault = await openVault(dir, PASS, { idleLockMs: 0 });
    await v.deleteStudy(b.studyRef);
    // The old delete left B's analysis and review behind.
    expect(v.listObjects().filter((o) => o.kind !== 'dicom')).toHaveLength(6);

    const report = await v.verify();
    expect(report.ok).toBe(false);
    const orphaned = report.problems.filter((p) => p.code === 'OBJECT_ORPHANED');
    expect(orphaned).toHaveLength(3);
    expect(orphaned[0]!.message).toMatch(/vault gc/);

    const gc = await v.collectOrphans();
    expect(gc).toEqual({ removed: 3, reattached: 3 });
    const kept = v.listObjects().filter((o) => o.kind !== 'dicom');
    expect(kept).toHaveLength(3);
    expect(kept.every((o) => o.studyRef === a.studyRef && o.seriesRef === a.seriesRef)).toBe(true);
    expect((await v.verify()).ok).toBe(true);
    const audit = await v.auditEntries();
    expect(audit.at(-1)).toMatchObject({ event: 'orphans-removed', details: { removed: 3, reattached: 3 } });
    await v.lock();

    v = await openVault(dir, PASS, { idleLockMs: 0 });
    const again = vaultAnalysisStore({ require: () => v });
    expect((await again.loadAnalysis(a.key))?.key).toBe(a.key);
    expect(await again.loadReview(a.key)).not.toBeNull();
    await v.lock();
  });
});
