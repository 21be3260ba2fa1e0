/**
 * The recovery code: shown once at creation, it opens the vault and sets a new passphrase; a wrong
 * code is a typed error that changes nothing; the old passphrase no longer unlocks afterwards.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createVault, newRecoveryCode, openVault, recoverVault } from '../../src/core/vault';

const WEAK = {
  kdf: { memoryKiB: 256, iterations: 1, parallelism: 1 },
  allowWeakKdf: true,
  idleLockMs: 0,
} as const;
const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});
function freshDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'plv-recovery-'));
  dirs.push(d);
  return join(d, 'vault');
}
function snapshot(dir: string): string {
  const h = createHash('sha256');
  for (const n of readdirSync(dir, { recursive: true }).map(String).sort()) {
    try {
      h.update(n).update(readFileSync(join(dir, n)));
    } catch {
      h.update(n);
    }
  }
  return h.digest('hex');
}

describe('vault recovery code', () => {
  it('is 30 base32 characters in six groups of five, different each time', () => {
    const a = newRecoveryCode();
    expect(a).toMatch(/^[A-Z2-7]{5}(-[A-Z2-7]{5}){5}$/);
    expect(newRecoveryCode()).not.toBe(a);
  });

  it('round trip: the code sets a new passphrase; data intact; old passphrase refused; audit-logged', async () => {
    const dir = freshDir();
    const code = newRecoveryCode();
    const v = await createVault(dir, 'forgotten passphrase', { ...WEAK, recoveryCode: code });
    const o = await v.putObject(null, 'other', 'kept through recovery');
    await v.lock();
    // Typed as a person would: lower case, spaces instead of dashes.
    const typed = code.toLowerCase().replace(/-/g, ' ');
    const r = await recoverVault(dir, typed, 'a brand new passphrase', WEAK);
    expect((await r.getObject(o.id)).toString()).toBe('kept through recovery');
    const events = (await r.auditEntries()).map((e) => [e.event, e.details?.via]);
    expect(events).toContainEqual(['vault-unlocked', 'recovery-code']);
    expect(events.map((e) => e[0])).toContain('passphrase-changed');
    await r.lock();
    await expect(openVault(dir, 'forgotten passphrase', WEAK)).rejects.toMatchObject({
      code: 'VAULT_WRONG_PASSPHRASE',
    });
    const again = await openVault(dir, 'a brand new passphrase', WEAK);
    expect((await again.getObject(o.id)).toString()).toBe('kept through recovery');
    await again.lock();
  });

  it('a wrong or malformed code is a typed error and changes nothing on disk', async () => {
    const dir = freshDir();
    await (
      await createVault(dir, 'the passphrase here', { ...WEAK, recoveryCode: newRecoveryCode() })
    ).lock();
    const before = snapshot(dir);
    await expect(recoverVault(dir, newRecoveryCode(), 'another passphrase', WEAK)).rejects.toMatchObject({
      code: 'VAULT_WRONG_RECOVERY_CODE',
    });
    await expect(recoverVault(dir, 'ABCDE-12345', 'another passphrase', WEAK)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    expect(snapshot(dir)).toBe(before);
    await (await openVault(dir, 'the passphrase here', WEAK)).lock();
  });
});
