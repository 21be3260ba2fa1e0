/**
 * Headless parity for hospital scripts, end to end through bin/pulmolens.mjs with the real
 * LIDC-IDRI-0002 series: analyze a series inside the vault (nothing plaintext written), list each
 * study's series with its analyses and reviews, remove results left by an older non-cascading
 * delete (`vault gc`), and delete a study with everything stored for it (audit-logged).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openVault } from '../../src/core/vault';
import { rewriteIndex } from '../support/legacy-vault';
import { lidcStudy, missingData, repoRoot } from '../support/shared-data';
import { ensureTestModels } from '../support/test-models';

const models = ensureTestModels();
const skip = missingData('ct/LIDC-IDRI-0002.tar.xz') ?? ('skip' in models ? models.skip : null);
if (skip) console.warn(`[skip] vault CLI parity: ${skip}`);
const work = mkdtempSync(join(tmpdir(), 'plv-parity-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const PASS = 'parity test passphrase';

function cli(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'pulmolens.mjs'), ...args], {
    cwd,
    env: {
      ...process.env,
      PULMOLENS_VAULT: join(work, 'v'),
      PULMOLENS_PASSPHRASE: PASS,
      PULMOLENS_READER: undefined,
    },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 580_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

interface ListedStudy {
  ref: string;
  studyInstanceUid: string;
  series: Array<{
    ref: string;
    seriesInstanceUid: string;
    instances: number;
    analyses: Array<{ objectId: string; storedAt: string }>;
    reviews: Array<{ objectId: string; storedAt: string }>;
  }>;
}

describe.skipIf(skip !== null)(
  'vault analyze / list / gc / delete from the command line (LIDC-IDRI-0002)',
  () => {
    it('analyses in the vault without plaintext, lists results, collects orphans, deletes with cascade', async () => {
      const cwd = join(work, 'cwd');
      mkdirSync(cwd);
      const modelsDir = 'dir' in models ? models.dir : '';
      expect(cli(['vault', 'init'], cwd).code).toBe(0);
      const imp = cli(['vault', 'import', lidcStudy('0002').seriesDir, '--json'], cwd);
      expect(imp.code, imp.err).toBe(0);

      let studies = JSON.parse(cli(['vault', 'list', '--json'], cwd).out) as ListedStudy[];
      expect(studies).toHaveLength(1);
      const study = studies[0]!;
      expect(study.series[0]).toMatchObject({ instances: 261, analyses: [], reviews: [] });

      // By StudyInstanceUID (the study's CT series is analysed); nothing plaintext anywhere.
      const an = cli(
        [
          'analyze',
          '--vault',
          join(work, 'v'),
          study.studyInstanceUid,
          '--models',
          modelsDir,
          '--provider',
          'cpu',
        ],
        cwd,
      );
      expect(an.code, an.err).toBe(0);
      expect(an.err).toMatch(/stored in the vault with series/);
      expect(readdirSync(cwd)).toEqual([]);
      expect(readdirSync(work).sort()).toEqual(['cwd', 'v']);

      studies = JSON.parse(cli(['vault', 'list', '--json'], cwd).out) as ListedStudy[];
      expect(studies[0]!.series[0]!.analyses).toHaveLength(1);
      expect(studies[0]!.series[0]!.reviews).toEqual([]);

      // As a version before cascading deletes stored it: the heatmap of a series since deleted,
      // without its study.
      await rewriteIndex(join(work, 'v'), PASS, (doc) => {
        for (const o of Object.values(doc.objects)) {
          if (o.kind === 'analysis' && o.name.endsWith('/heatmap.u8')) {
            o.studyRef = null;
            o.seriesRef = null;
            o.name = 'analysis/1.2.3.gone/heatmap.u8';
          }
        }
      });
      const bad = cli(['vault', 'verify', '--json'], cwd);
      expect(bad.code).toBe(1);
      const report = JSON.parse(bad.out) as { problems: Array<{ code: string }> };
      expect(report.problems.map((p) => p.code)).toEqual(['OBJECT_ORPHANED']);
      const gc = cli(['vault', 'gc', '--json', '--reader', 'Dr Parity:P-1'], cwd);
      expect(gc.code, gc.err).toBe(0);
      expect(JSON.parse(gc.out)).toEqual({ removed: 1, reattached: 0 });
      expect(cli(['vault', 'verify'], cwd)).toMatchObject({
        code: 0,
        out: expect.stringMatching(/vault OK/),
      });

      // Deleting the study removes its series and the analysis stored for it.
      const del = cli(['vault', 'delete', study.ref, '--json', '--reader', 'Dr Parity:P-1'], cwd);
      expect(del.code, del.err).toBe(0);
      expect(JSON.parse(del.out)).toEqual({ objects: 261 + 1 });
      expect(JSON.parse(cli(['vault', 'list', '--json'], cwd).out)).toEqual([]);
      expect(readdirSync(join(work, 'v', 'objects'))).toEqual([]);
      const v = await openVault(join(work, 'v'), PASS, { readOnly: true });
      const entries = await v.auditEntries();
      const events = entries.map((e) => e.event);
      expect(events).toContain('study-deleted');
      expect(events).toContain('orphans-removed');
      for (const e of entries.filter((x) => x.event === 'study-deleted' || x.event === 'orphans-removed'))
        expect(e.user).toBe('Dr Parity (P-1)');
      await v.lock();
      expect(cli(['vault', 'delete', study.ref, '--reader', 'Dr Parity'], cwd)).toMatchObject({
        code: 1,
        err: expect.stringMatching(/NOT_FOUND/),
      });
    }, 900_000);
  },
);

describe('vault recover from the command line', () => {
  it('init shows the recovery code once; recover with it sets a new passphrase; a wrong code is refused', () => {
    const dir = join(work, 'rv');
    const run = (args: string[], env: Record<string, string>) => {
      const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'pulmolens.mjs'), 'vault', ...args], {
        env: { ...process.env, PULMOLENS_VAULT: dir, PULMOLENS_READER: 'IT Admin:A-9', ...env },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      return { code: r.status, out: r.stdout, err: r.stderr };
    };
    const init = run(['init'], { PULMOLENS_PASSPHRASE: 'first passphrase here' });
    expect(init.code, init.err).toBe(0);
    expect(init.out).toMatch(/Without the passphrase and this recovery code the data in the vault is gone/);
    const code = /([A-Z2-7]{5}(?:-[A-Z2-7]{5}){5})/.exec(init.out)![1]!;
    const other = code.startsWith('A') ? `B${code.slice(1)}` : `A${code.slice(1)}`;
    expect(
      run(['recover'], { PULMOLENS_RECOVERY_CODE: other, PULMOLENS_NEW_PASSPHRASE: 'second passphrase' }),
    ).toMatchObject({
      code: 1,
      err: expect.stringMatching(/VAULT_WRONG_RECOVERY_CODE/),
    });
    expect(
      run(['recover'], { PULMOLENS_RECOVERY_CODE: code, PULMOLENS_NEW_PASSPHRASE: 'second passphrase' }),
    ).toMatchObject({
      code: 0,
    });
    expect(run(['list'], { PULMOLENS_PASSPHRASE: 'first passphrase here' }).code).toBe(1);
    expect(run(['list'], { PULMOLENS_PASSPHRASE: 'second passphrase' }).code).toBe(0);
  });
});
