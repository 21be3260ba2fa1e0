/**
 * A review read back from the vault is validated like any other input: a record that is not a
 * StudyReview (an older version's, a damaged one) is a typed error naming the vault object and the
 * field, never a half-valid review handed to the reading workflow. Real DICOM in a real vault.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addNote, decide, emptyReview, type StudyReview } from '../../src/common/review';
import { scanDicomInputs } from '../../src/core/dicom';
import { createVault } from '../../src/core/vault';
import { vaultAnalysisStore } from '../../src/core/findings/analysis-store';
import { missingData, sharedPath } from '../support/shared-data';

const FILE = 'dicom/pydicom/test_files/CT_small.dcm';
const missing = missingData(FILE);
const WEAK = {
  kdf: { memoryKiB: 256, iterations: 1, parallelism: 1 },
  allowWeakKdf: true,
  idleLockMs: 0,
} as const;
const root = mkdtempSync(join(tmpdir(), 'pl-stored-review-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.skipIf(missing)('stored reviews are validated on load', () => {
  it('round-trips a valid review and names the object and field of a corrupted one', async () => {
    const vault = await createVault(join(root, 'vault'), 'correct horse battery', WEAK);
    const scan = await scanDicomInputs([sharedPath(FILE)]);
    const key = scan.series[0]!.key;
    await vault.importSeries(scan.series[0]!);
    const store = vaultAnalysisStore({ require: () => vault });
    const by = { reviewer: 'dr.a', at: '2026-12-01T10:00:00.000Z' };

    let review = decide(emptyReview(key), 'F001', { kind: 'accepted', ...by });
    review = addNote(review, { text: 'no change since 2025', ...by });
    await store.saveReview(key, review);
    expect(await store.loadReview(key)).toEqual(review);

    // A decision without its reviewer, as a damaged or foreign record would hold it.
    const corrupted = {
      ...review,
      decisions: { F001: { kind: 'accepted', at: by.at } },
    } as unknown as StudyReview;
    const before = new Set(vault.listObjects({ kind: 'review' }).map((o) => o.id));
    await store.saveReview(key, corrupted);
    const newest = vault.listObjects({ kind: 'review' }).find((o) => !before.has(o.id))!;
    const error = await store.loadReview(key).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({
      name: 'PulmoLensError',
      code: 'INVALID_INPUT',
      path: `vault object ${newest.id} (review of ${key})`,
    });
    expect((error as Error).message).toMatch(/decisions\.F001\.reviewer/);
    await vault.lock();
  });
});
