/**
 * `pulmolens vault ...` end to end through bin/pulmolens.mjs with LIDC-IDRI-0001. `init` and
 * `passwd` run at full Argon2id strength, as a user would get them.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lidcStudy, missingData, repoRoot } from '../support/shared-data';

const skip = missingData('ct/LIDC-IDRI-0001.tar.xz');
const work = mkdtempSync(join(tmpdir(), 'plv-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[], env: Record<string, string | undefined> = {}) {
  const r = spawnSync('node', [join(repoRoot, 'bin', 'pulmolens.mjs'), 'vault', ...args], {
    env: {
      ...process.env,
      PULMOLENS_VAULT: undefined,
      PULMOLENS_PASSPHRASE: undefined,
      PULMOLENS_READER: undefined,
      ...env,
    },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe.skipIf(skip)('pulmolens vault CLI', () => {
  it('init, import, list, export, verify, passwd; clear errors for a wrong passphrase and a missing vault', () => {
    const seriesDir = lidcStudy('0001').seriesDir;
    const vault = join(work, 'v');
    const env = { PULMOLENS_VAULT: vault, PULMOLENS_PASSPHRASE: 'first pass' };

    expect(cli(['list'], { PULMOLENS_PASSPHRASE: 'x' })).toMatchObject({
      code: 1,
      err: expect.stringMatching(/--vault DIR or set PULMOLENS_VAULT/),
    });
    expect(cli(['init'], { PULMOLENS_VAULT: vault })).toMatchObject({
      code: 1,
      err: expect.stringMatching(/PULMOLENS_PASSPHRASE/),
    });
    const init = cli(['init'], env);
    expect(init.code).toBe(0);
    expect(JSON.parse(readFileSync(join(vault, 'vault.json'), 'utf8')).kdf).toMatchObject({
      memoryKiB: 65536,
      iterations: 3,
      parallelism: 4,
    });
    expect(cli(['init'], env)).toMatchObject({ code: 1, err: expect.stringMatching(/VAULT_EXISTS/) });

    const imp = cli(['import', seriesDir, '--json'], env);
    expect(imp.err).toBe('');
    expect(imp.code).toBe(0);
    const imported = JSON.parse(imp.out) as { imported: Array<{ seriesRef: string; instances: number }> };
    expect(imported.imported).toHaveLength(1);
    expect(imported.imported[0]!.instances).toBe(133);

    const list = cli(['list', '--json', '--vault', vault], { PULMOLENS_PASSPHRASE: 'first pass' });
    expect(list.code).toBe(0);
    const studies = JSON.parse(list.out) as Array<{
      ref: string;
      patientId: string;
      series: Array<{ ref: string }>;
    }>;
    expect(studies).toHaveLength(1);
    expect(studies[0]!.patientId).toBe('LIDC-IDRI-0001');
    expect(studies[0]!.series[0]!.ref).toBe(imported.imported[0]!.seriesRef);
    expect(cli(['list'], env).out).toMatch(/ID LIDC-IDRI-0001/);

    const out = join(work, 'export');
    const exp = cli(['export', studies[0]!.ref, '--out', out], env);
    expect(exp).toMatchObject({ code: 0, out: expect.stringMatching(/exported 133 file/) });
    const [folder] = readdirSync(out);
    const exported = readdirSync(join(out, folder!)).map((f) => sha(join(out, folder!, f)));
    const originals = readdirSync(seriesDir).map((f) => sha(join(seriesDir, f)));
    expect(new Set(exported)).toEqual(new Set(originals));

    const wrong = cli(['verify'], { ...env, PULMOLENS_PASSPHRASE: 'nope' });
    expect(wrong).toMatchObject({
      code: 1,
      err: expect.stringMatching(/VAULT_WRONG_PASSPHRASE.*wrong passphrase/),
    });
    expect(cli(['verify'], env)).toMatchObject({
      code: 0,
      out: expect.stringMatching(/checked 133 objects.*\n.*vault OK/s),
    });

    expect(cli(['passwd', '--reader', 'IT Admin:A-9'], env)).toMatchObject({
      code: 1,
      err: expect.stringMatching(/PULMOLENS_NEW_PASSPHRASE/),
    });
    expect(
      cli(['passwd'], { ...env, PULMOLENS_NEW_PASSPHRASE: 'second pass', PULMOLENS_READER: 'IT Admin:A-9' })
        .code,
    ).toBe(0);
    expect(cli(['list'], env).code).toBe(1);
    expect(cli(['list', '--json'], { ...env, PULMOLENS_PASSPHRASE: 'second pass' }).code).toBe(0);

    // damage one object: verify names it and fails
    const objects = readdirSync(join(vault, 'objects'));
    const victim = join(vault, 'objects', objects[7]!);
    const b = readFileSync(victim);
    b[b.length - 5]! ^= 1;
    writeFileSync(victim, b);
    const bad = cli(['verify', '--json'], { ...env, PULMOLENS_PASSPHRASE: 'second pass' });
    expect(bad.code).toBe(1);
    const report = JSON.parse(bad.out) as {
      ok: boolean;
      problems: Array<{ objectId: string; chunk: number }>;
    };
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      expect.objectContaining({ objectId: objects[7]!.replace('.plo', ''), chunk: 0 }),
    ]);
    expect(bad.err).toMatch(/VAULT_CORRUPT.*1 problem/);
  }, 300_000); // 14 CLI runs, each unlocking at full Argon2id strength, on a shared machine
});
