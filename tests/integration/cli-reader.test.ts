/**
 * `--reader NAME[:ID]` on the vault commands, end to end through bin/pulmolens.mjs: the audit log
 * names the reader, not the OS account; without one, routine commands name the OS account labelled
 * as such and destructive ones are refused before anything changes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openVault, type AuditEntry } from '../../src/core/vault';
import { missingData, repoRoot, sharedPath } from '../support/shared-data';

const ct = 'dicom/pydicom/test_files/CT_small.dcm';
const skip = missingData(ct);
const work = mkdtempSync(join(tmpdir(), 'plv-reader-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const vaultDir = join(work, 'v');
const PASS = 'reader test passphrase';

function cli(args: string[], env: Record<string, string | undefined> = {}) {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'pulmolens.mjs'), 'vault', ...args], {
    env: {
      ...process.env,
      PULMOLENS_VAULT: vaultDir,
      PULMOLENS_PASSPHRASE: PASS,
      PULMOLENS_READER: undefined,
      ...env,
    },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function audit(): Promise<AuditEntry[]> {
  const v = await openVault(vaultDir, PASS, { readOnly: true });
  try {
    return await v.auditEntries();
  } finally {
    await v.lock();
  }
}

describe.skipIf(skip !== null)('pulmolens vault --reader', () => {
  it('names the reader in the audit log; labels the OS account; refuses a delete by nobody', async () => {
    const init = cli(['init', '--reader', 'Dr Ada Reader:R-42']);
    expect(init.code, init.err).toBe(0);
    expect((await audit()).map((e) => [e.event, e.user])).toEqual([
      ['vault-created', 'Dr Ada Reader (R-42)'],
      ['vault-locked', 'Dr Ada Reader (R-42)'],
    ]);

    // A scheduled import with no person behind it: the OS account, labelled, never a bare name.
    const imp = cli(['import', sharedPath(ct), '--json']);
    expect(imp.code, imp.err).toBe(0);
    expect(imp.err).toBe('');
    const { imported } = JSON.parse(imp.out) as { imported: Array<{ studyRef: string }> };
    const since = (await audit()).length;
    const label = `${userInfo().username} (OS account; no --reader)`;
    const entries = await audit();
    expect(entries.find((e) => e.event === 'study-imported')?.user).toBe(label);

    // Deleting patient data is a person's act: refused without a reader, and nothing is touched.
    const objects = readdirSync(join(vaultDir, 'objects')).sort();
    const refused = cli(['delete', imported[0]!.studyRef]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/INVALID_INPUT.*vault delete needs the person who does it.*--reader/s);
    expect(readdirSync(join(vaultDir, 'objects')).sort()).toEqual(objects);
    expect((await audit()).length).toBe(since); // not even unlocked
    expect(cli(['gc'])).toMatchObject({ code: 1, err: expect.stringMatching(/vault gc needs the person/) });

    // Malformed readers are refused with the flag or variable named.
    expect(cli(['delete', imported[0]!.studyRef, '--reader', ':R-1'])).toMatchObject({
      code: 1,
      err: expect.stringMatching(/--reader: the reader's name is empty/),
    });
    expect(cli(['list'], { PULMOLENS_READER: ' :x' })).toMatchObject({
      code: 1,
      err: expect.stringMatching(/PULMOLENS_READER: the reader's name is empty/),
    });

    // The environment names the reader for a script run on a person's behalf; --reader wins over it.
    const del = cli(['delete', imported[0]!.studyRef, '--json'], { PULMOLENS_READER: 'Dr Bo Script' });
    expect(del.code, del.err).toBe(0);
    const gc = cli(['gc', '--reader', 'IT Admin:A-9'], { PULMOLENS_READER: 'Dr Bo Script' });
    expect(gc.code, gc.err).toBe(0);
    const after = await audit();
    expect(after.find((e) => e.event === 'study-deleted')).toMatchObject({
      user: 'Dr Bo Script',
      studyRef: imported[0]!.studyRef,
    });
    expect(after.at(-1)).toMatchObject({ event: 'vault-locked', user: 'IT Admin (A-9)' });
    expect(readdirSync(join(vaultDir, 'objects'))).toEqual([]);
  }, 120_000);
});
