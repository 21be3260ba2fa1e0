/**
 * The vault on a read-only disk and on a full disk. Tests run as root, for whom chmod changes
 * nothing, so the faults are made real with a private mount namespace (`unshare -Urm`): the vault
 * folder is bind-mounted read-only (EROFS), or copied onto a 24 MiB tmpfs that the 70 MB
 * LIDC-IDRI-0001 import overflows (ENOSPC). The CLI runs inside the namespace; the vault is then
 * inspected from outside. Small Argon2id costs (allowWeakKdf): this test is about I/O faults.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lidcStudy, missingData, repoRoot } from '../support/shared-data';
import { createVault, openVault } from '../../src/core/vault';

const WEAK = {
  kdf: { memoryKiB: 256, iterations: 1, parallelism: 1 },
  allowWeakKdf: true,
  idleLockMs: 0,
} as const;

function namespaceReason(): string | null {
  const r = spawnSync('unshare', ['-Urm', 'sh', '-c', 'mount -t tmpfs -o size=1m tmpfs /mnt && echo ok'], {
    encoding: 'utf8',
  });
  if (r.stdout.trim() === 'ok') return null;
  const reason = `private mount namespaces unavailable (unshare -Urm: ${(r.stderr || String(r.error)).trim()})`;
  console.warn(`[skip] ${reason}`);
  return reason;
}

const skip = missingData('ct/LIDC-IDRI-0001.tar.xz') ?? namespaceReason();
const work = mkdtempSync(join(tmpdir(), 'plv-faults-'));
let seriesDir = '';

beforeAll(() => {
  if (!skip) seriesDir = lidcStudy('0001').seriesDir;
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[p.slice(dir.length)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

/** Runs a bash script in a private mount namespace; `cli` is a shell function running the CLI. */
function inNamespace(script: string, env: Record<string, string>): string {
  const prelude = `cli() { node "${join(repoRoot, 'bin', 'pulmolens.mjs')}" "$@" 2>&1; echo "rc=$?"; }\n`;
  const r = spawnSync('unshare', ['-Urm', 'bash', '-c', prelude + script], {
    env: { ...process.env, PULMOLENS_PASSPHRASE: 'pw', ...env },
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe.skipIf(skip)('vault on a read-only or full disk', () => {
  it('read-only disk: import fails with a clear VAULT_IO error, nothing changes, verify still works', async () => {
    const dir = join(work, 'ro');
    const v = await createVault(dir, 'pw', WEAK);
    await v.putObject(null, 'other', 'existing report');
    await v.lock();
    const before = snapshot(dir);
    const out = inNamespace(
      `mount --bind "$V" "$V" && mount -o remount,bind,ro "$V" || exit 3
       echo "== import"; cli vault import "$S"
       echo "== verify"; cli vault verify`,
      { V: dir, S: seriesDir, PULMOLENS_VAULT: dir },
    );
    const [, importOut, verifyOut] = out.split(/== \w+\n/);
    expect(importOut).toMatch(/error \[VAULT_IO\].*read-only \(EROFS\)/);
    expect(importOut).toMatch(/rc=1/);
    expect(verifyOut).toMatch(/vault OK\nrc=0/);
    expect(snapshot(dir)).toEqual(before);
    const after = await openVault(dir, 'pw', { readOnly: true });
    expect((await after.verify()).ok).toBe(true);
    await after.lock();
  }, 300_000);

  it('full disk: import fails with a clear VAULT_IO error and the vault stays consistent and usable', async () => {
    const dir = join(work, 'full-src');
    await (await createVault(dir, 'pw', WEAK)).lock();
    const back = join(work, 'full-after');
    mkdirSync(back);
    const out = inNamespace(
      `M=$(mktemp -d) && mount -t tmpfs -o size=24m tmpfs "$M" && cp -a "$V" "$M/v" || exit 3
       export PULMOLENS_VAULT="$M/v"
       echo "== import"; cli vault import "$S"
       echo "== fill"; dd if=/dev/zero of="$M/filler" bs=1M 2>/dev/null; echo filled
       echo "== list"; cli vault list --json
       rm "$M/filler"
       echo "== verify"; cli vault verify
       echo "== listafter"; cli vault list --json
       cp -a "$M/v" "$B/v"`,
      { V: dir, S: seriesDir, B: back },
    );
    const parts = Object.fromEntries(
      out
        .split(/^== /m)
        .slice(1)
        .map((p) => [p.slice(0, p.indexOf('\n')), p.slice(p.indexOf('\n') + 1)]),
    );
    expect(parts.import).toMatch(/error \[VAULT_IO\].*the disk is full \(ENOSPC\)/);
    expect(parts.import).toMatch(/rc=1/);
    // With no space even for an audit entry, unlocking is refused clearly rather than half-done.
    expect(parts.list).toMatch(/error \[VAULT_IO\].*ENOSPC/);
    expect(parts.verify).toMatch(/vault OK\nrc=0/);
    expect(parts.listafter).toMatch(/^\[\]\nrc=0/);

    const v = await openVault(join(back, 'v'), 'pw', { readOnly: true });
    const report = await v.verify();
    expect(report.problems).toEqual([]);
    expect(v.listStudies()).toEqual([]);
    const events = (await v.auditEntries()).map((e) => e.event);
    expect(events.filter((e) => e === 'study-imported')).toEqual([]);
    await v.lock();
    expect(readdirSync(join(back, 'v', 'objects'))).toEqual([]);
  }, 300_000);
});
