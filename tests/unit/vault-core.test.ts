/**
 * Vault core without patient data: keys, passphrases, object chunking, audit chain, session.
 * Vaults here use small Argon2id costs (allowWeakKdf) because these tests are about the format and
 * its checks, not about KDF strength; the one test that is about KDF strength uses full costs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVault, openVault, openVaultWithOsKey, type OsKeyProtector } from '../../src/core/vault';
import { PulmoLensError } from '../../src/common/errors';
import { readObjectRangeSync } from '../../src/core/vault/object-file';
import { nativeGcmStatus, setNativeGcm } from '../../src/core/vault/native-gcm';

const WEAK = {
  kdf: { memoryKiB: 256, iterations: 1, parallelism: 1 },
  allowWeakKdf: true,
  idleLockMs: 0,
} as const;
const dirs: string[] = [];

function freshDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'plv-unit-'));
  dirs.push(d);
  return join(d, 'vault');
}

afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

/** path -> sha256 of every file under dir */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(p, createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

async function expectCode(p: Promise<unknown>, code: string): Promise<PulmoLensError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(PulmoLensError);
    expect((e as PulmoLensError).code).toBe(code);
    return e as PulmoLensError;
  }
  throw new Error(`expected ${code}, but it succeeded`);
}

/** A keychain stand-in with real encryption, reporting whichever backend a test needs. */
function protector(backend: string): OsKeyProtector {
  const key = randomBytes(32);
  return {
    backend: () => backend,
    isAvailable: () => true,
    encrypt: (b) => {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const ct = Buffer.concat([c.update(b), c.final()]);
      return Buffer.concat([iv, ct, c.getAuthTag()]);
    },
    decrypt: (b) => {
      const d = createDecipheriv('aes-256-gcm', key, b.subarray(0, 12));
      d.setAuthTag(b.subarray(b.length - 16));
      return Buffer.concat([d.update(b.subarray(12, b.length - 16)), d.final()]);
    },
  };
}

describe('vault keys and passphrases', () => {
  it('stores full-strength Argon2id parameters by default and refuses weaker ones unless asked', async () => {
    const dir = freshDir();
    const v = await createVault(dir, 'correct horse', { idleLockMs: 0 });
    await v.lock();
    const header = JSON.parse(readFileSync(join(dir, 'vault.json'), 'utf8'));
    expect(header.kdf).toMatchObject({
      algorithm: 'argon2id',
      memoryKiB: 65536,
      iterations: 3,
      parallelism: 4,
    });
    expect(header.kdf.salt).toMatch(/^[0-9a-f]{32}$/);
    await expectCode(
      createVault(freshDir(), 'pw', { kdf: { memoryKiB: 1024, iterations: 1, parallelism: 1 } }),
      'INVALID_INPUT',
    );
  });

  it('a wrong passphrase gives VAULT_WRONG_PASSPHRASE and changes nothing on disk', async () => {
    const dir = freshDir();
    const v = await createVault(dir, 'right', WEAK);
    await v.putObject(null, 'other', 'some report');
    await v.lock();
    const before = snapshot(dir);
    const err = await expectCode(openVault(dir, 'wrong'), 'VAULT_WRONG_PASSPHRASE');
    expect(err.message).toMatch(/wrong passphrase/);
    expect(snapshot(dir)).toEqual(before);
    await expectCode(openVault(dir, ''), 'INVALID_INPUT');
  });

  it('an edited KDF parameter in the header does not unlock', async () => {
    const dir = freshDir();
    await (await createVault(dir, 'pw', WEAK)).lock();
    const h = JSON.parse(readFileSync(join(dir, 'vault.json'), 'utf8'));
    h.kdf.iterations = 2;
    writeFileSync(join(dir, 'vault.json'), JSON.stringify(h));
    await expectCode(openVault(dir, 'pw'), 'VAULT_WRONG_PASSPHRASE');
  });

  it('passphrase change and key rotation re-wrap the data key without touching any object', async () => {
    const dir = freshDir();
    const v = await createVault(dir, 'old', WEAK);
    const o = await v.putObject(null, 'other', randomBytes(300_000));
    const objectsBefore = snapshot(join(dir, 'objects'));
    const saltBefore = v.kdf.salt;
    await v.changePassphrase('new', { kdf: WEAK.kdf, allowWeakKdf: true });
    expect(v.kdf.salt).not.toBe(saltBefore);
    await expectCode(v.rotateKeyWrapping('old', { allowWeakKdf: true }), 'VAULT_WRONG_PASSPHRASE');
    await v.rotateKeyWrapping('new', { kdf: { memoryKiB: 512, iterations: 2 }, allowWeakKdf: true });
    expect(v.kdf).toMatchObject({ memoryKiB: 512, iterations: 2, parallelism: 1 });
    await v.lock();
    expect(snapshot(join(dir, 'objects'))).toEqual(objectsBefore);
    await expectCode(openVault(dir, 'old'), 'VAULT_WRONG_PASSPHRASE');
    const v2 = await openVault(dir, 'new', { idleLockMs: 0 });
    expect((await v2.getObject(o.id)).length).toBe(300_000);
    const events = (await v2.auditEntries()).map((e) => e.event);
    expect(events).toEqual(expect.arrayContaining(['passphrase-changed', 'key-wrapping-rotated']));
    await v2.lock();
  });

  it('OS keychain unlock: basic_text is refused unless explicitly accepted; a real backend unlocks', async () => {
    const dir = freshDir();
    const v = await createVault(dir, 'pw', WEAK);
    const weak = protector('basic_text');
    await expectCode(v.enableOsUnlock(weak), 'VAULT_KEYCHAIN_REFUSED');
    expect(v.osUnlock).toBeNull();
    const good = protector('gnome_libsecret');
    await v.enableOsUnlock(good);
    await v.lock();
    const v2 = await openVaultWithOsKey(dir, good, { idleLockMs: 0 });
    expect(v2.osUnlock).toEqual({ backend: 'gnome_libsecret', acceptedWeakBackend: false });
    await v2.enableOsUnlock(weak, { acceptWeakBackend: true });
    await v2.lock();
    await expectCode(openVaultWithOsKey(dir, protector('basic_text')), 'VAULT_KEYCHAIN_REFUSED');
    const v3 = await openVaultWithOsKey(dir, weak, { idleLockMs: 0 });
    await v3.disableOsUnlock();
    await v3.lock();
    await expectCode(openVaultWithOsKey(dir, weak), 'VAULT_KEYCHAIN_REFUSED');
  });
});

describe('vault objects', () => {
  it('round-trips objects of every size around the chunk boundary and reads ranges across chunks', async () => {
    const dir = freshDir();
    const v = await createVault(dir, 'pw', { ...WEAK, chunkBytes: 4096 });
    for (const size of [0, 1, 4095, 4096, 4097, 3 * 4096, 50_001]) {
      const data = randomBytes(size);
      const o = await v.putObject(null, 'other', data);
      expect((await v.getObject(o.id)).equals(data)).toBe(true);
      if (size > 10) {
        const off = Math.floor(size / 3);
        expect(
          (await v.readObjectRange(o.id, off, size - off - 3)).equals(data.subarray(off, size - 3)),
        ).toBe(true);
      }
    }
    await expectCode(v.readObjectRange(v.listObjects()[0]!.id, 0, 1), 'INVALID_INPUT');
    const report = await v.verify();
    expect(report.problems).toEqual([]);
    await v.lock();
  });

  it('reads one chunk of an object whose other chunk is damaged (random access, damage named)', async () => {
    const dir = freshDir();
    const v = await createVault(dir, 'pw', { ...WEAK, chunkBytes: 4096 });
    const data = randomBytes(4 * 4096);
    const o = await v.putObject(null, 'other', data);
    const file = join(dir, 'objects', `${o.id}.plo`);
    const bytes = readFileSync(file);
    bytes[48 + 3 * (4096 + 28) + 100]! ^= 0x01; // inside chunk 3
    writeFileSync(file, bytes);
    expect((await v.readObjectRange(o.id, 5000, 3000)).equals(data.subarray(5000, 8000))).toBe(true);
    const err = await expectCode(v.getObject(o.id), 'VAULT_CORRUPT');
    expect(err.message).toContain(`object ${o.id} chunk 3`);
    const report = await v.verify();
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toMatchObject({ code: 'OBJECT_CORRUPT', objectId: o.id, chunk: 3 });
    await v.lock();
  });

  // Both decipher paths: Node's (slices handed before the tag is checked) and the native one
  // (each chunk checked before it is handed); the native one only where it was built.
  const native = nativeGcmStatus();
  const rangeRead =
    'a worker-side range read hands aligned pieces in order; a damaged chunk is named after the bytes handed are given again for discarding';
  it(`${rangeRead} (Node crypto)`, async () => {
    setNativeGcm(false);
    try {
      await rangeReadCase(false);
    } finally {
      setNativeGcm(true);
    }
  });
  it.skipIf(!native.native)(
    `${rangeRead} (native decipher${native.native ? '' : `; skipped: ${native.why}`})`,
    () => rangeReadCase(true),
  );

  async function rangeReadCase(verifiedFirst: boolean): Promise<void> {
    const cb = 96 * 1024;
    const dir = freshDir();
    const v = await createVault(dir, 'pw', { ...WEAK, chunkBytes: cb });
    const data = randomBytes(5 * cb + 1000);
    const o = await v.putObject(null, 'other', data);
    const offset = cb - 4094; // even, aligned to neither a chunk nor a slice
    const length = 3 * cb + 6000;
    type Piece = [Buffer, number];
    const read = (pieces: Piece[], discarded: Piece[]): void => {
      const spec = v.objectSlotRead(o.id);
      if (spec.kind !== 'vault-object') throw new Error('expected a vault object');
      try {
        readObjectRangeSync(spec.file, spec, Buffer.from(spec.key), spec.size, offset, length, {
          piece: (p, at) => pieces.push([Buffer.from(p), at]),
          discard: (p, at) => discarded.push([Buffer.from(p), at]),
        });
      } finally {
        spec.key.fill(0);
      }
    };
    const pieces: Piece[] = [];
    read(pieces, []);
    expect(Buffer.concat(pieces.map(([p]) => p)).equals(data.subarray(offset, offset + length))).toBe(true);
    let next = 0;
    for (const [p, at] of pieces) {
      expect(at).toBe(next); // in order, back to back, every one starting on an even byte
      expect(at % 2).toBe(0);
      next += p.length;
    }

    const file = join(dir, 'objects', `${o.id}.plo`);
    const bytes = readFileSync(file);
    bytes[48 + 2 * (cb + 28) + 12 + 488]! ^= 0x01; // ciphertext byte 488 of chunk 2, the range's second
    writeFileSync(file, bytes);
    const handed: Piece[] = [];
    const discarded: Piece[] = [];
    let err: unknown = null;
    try {
      read(handed, discarded);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PulmoLensError);
    expect(err).toMatchObject({
      code: 'VAULT_CORRUPT',
      path: file,
      message: expect.stringContaining(`object ${o.id} chunk 2: authentication failed`),
    });
    // Node's decipher handed chunks 1 and 2 (chunk 2 unverified, with the flipped bit) before its
    // tag failed; the native one only chunk 1, checked. Discard got exactly the bytes handed
    // again, at the same places.
    const unverified = Buffer.from(data.subarray(offset, (verifiedFirst ? 2 : 3) * cb));
    if (!verifiedFirst) unverified[2 * cb + 488 - offset]! ^= 0x01;
    expect(Buffer.concat(handed.map(([p]) => p)).equals(unverified)).toBe(true);
    expect(discarded.map(([, at]) => at)).toEqual(handed.map(([, at]) => at));
    expect(Buffer.concat(discarded.map(([p]) => p)).equals(unverified)).toBe(true);
    await v.lock();
  }

  it('stores vault-wide JSON objects (kind other) and deletes them with their key', async () => {
    const dir = freshDir();
    const v = await createVault(dir, 'pw', WEAK);
    const o = await v.putObject(null, 'other', { decision: 'accept', n: 1 });
    expect(await v.getJson(o.id)).toEqual({ decision: 'accept', n: 1 });
    await v.deleteObject(o.id);
    await expectCode(v.getObject(o.id), 'NOT_FOUND');
    expect(readdirSync(join(dir, 'objects'))).toEqual([]);
    await v.lock();
  });
});

describe('vault audit log', () => {
  async function vaultWithEvents(): Promise<{ dir: string; reportId: string }> {
    const dir = freshDir();
    const v = await createVault(dir, 'pw', WEAK);
    const o = await v.putObject(null, 'other', 'r1');
    await v.putObject(null, 'other', 'r2');
    await v.lock();
    return { dir, reportId: o.id };
  }

  /** [offset, length] of every frame after the 24-byte file header */
  function frames(buf: Buffer): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let off = 24; off + 4 <= buf.length;) {
      const len = buf.readUInt32BE(off);
      out.push([off, 4 + len]);
      off += 4 + len;
    }
    return out;
  }

  it('records events in order with time and OS user, and verifies clean', async () => {
    const { dir } = await vaultWithEvents();
    const v = await openVault(dir, 'pw', { readOnly: true });
    const entries = await v.auditEntries();
    expect(entries.map((e) => e.event)).toEqual([
      'vault-created',
      'object-stored',
      'object-stored',
      'vault-locked',
    ]);
    expect(
      entries.every((e, i) => e.seq === i && e.user.length > 0 && !Number.isNaN(Date.parse(e.time))),
    ).toBe(true);
    expect((await v.verify()).ok).toBe(true);
    await v.lock();
  });

  it('detects and names an edited entry; the vault still opens and its data is intact', async () => {
    const { dir, reportId } = await vaultWithEvents();
    const file = join(dir, 'audit.plv');
    const buf = readFileSync(file);
    const [off, len] = frames(buf)[1]!;
    buf[off + Math.floor(len / 2)]! ^= 0x20;
    writeFileSync(file, buf);
    const v = await openVault(dir, 'pw', { readOnly: true });
    const r = await v.verify();
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([expect.objectContaining({ code: 'AUDIT_BROKEN', auditSeq: 1 })]);
    expect(r.problems[0]!.message).toMatch(/entry 1 .*edited/);
    expect((await v.getObject(reportId)).toString()).toBe('r1');
    await v.lock();
    // A writable unlock continues the chain after the damage.
    const w = await openVault(dir, 'pw', { idleLockMs: 0 });
    await w.lock();
  });

  it('detects a removed entry in the middle and one removed from the end', async () => {
    const { dir } = await vaultWithEvents();
    const file = join(dir, 'audit.plv');
    const orig = readFileSync(file);
    const fr = frames(orig);
    const [off2, len2] = fr[2]!;
    writeFileSync(file, Buffer.concat([orig.subarray(0, off2), orig.subarray(off2 + len2)]));
    let v = await openVault(dir, 'pw', { readOnly: true });
    let r = await v.verify();
    expect(r.problems.map((p) => p.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/entries 2\.\.2 are missing/)]),
    );
    await v.lock();

    const [offLast] = fr[fr.length - 1]!;
    writeFileSync(file, orig.subarray(0, offLast));
    v = await openVault(dir, 'pw', { readOnly: true });
    r = await v.verify();
    expect(r.problems.map((p) => p.message)).toEqual([expect.stringMatching(/truncated: entries 3\.\.3/)]);
    await v.lock();
  });

  it('treats a torn final append as an interrupted write, not as tampering, and repairs it on unlock', async () => {
    const { dir } = await vaultWithEvents();
    const file = join(dir, 'audit.plv');
    const orig = readFileSync(file);
    // what a crash in the middle of appending one more entry leaves behind
    writeFileSync(file, Buffer.concat([orig, Buffer.from([0, 0, 0, 90]), randomBytes(17)]));
    const ro = await openVault(dir, 'pw', { readOnly: true });
    const r = await ro.verify();
    expect(r.ok).toBe(true);
    expect(r.notes.join(' ')).toMatch(/interrupted append/);
    await ro.lock();
    const w = await openVault(dir, 'pw', { idleLockMs: 0 });
    await w.lock();
    const again = await openVault(dir, 'pw', { readOnly: true });
    const r2 = await again.verify();
    expect(r2).toMatchObject({ ok: true, notes: [] });
    expect(r2.auditEntries).toBe(6);
    await again.lock();
  });
});

describe('vault session', () => {
  it('locks itself after the idle time, tells listeners and forgets its keys', async () => {
    const dir = freshDir();
    const v = await createVault(dir, 'pw', { ...WEAK, idleLockMs: 150 });
    const o = await v.putObject(null, 'other', 'x');
    const reasons: string[] = [];
    v.onLock((r) => reasons.push(r));
    await new Promise<void>((resolve) => v.onLock(() => resolve()));
    expect(reasons).toEqual(['idle']);
    expect(v.locked).toBe(true);
    await expectCode(v.getObject(o.id), 'VAULT_LOCKED');
    expect(() => v.listStudies()).toThrow(/locked/);
    const entries = await (async () => {
      const r = await openVault(dir, 'pw', { readOnly: true });
      const e = await r.auditEntries();
      await r.lock();
      return e;
    })();
    expect(entries.at(-1)).toMatchObject({ event: 'vault-locked', details: { reason: 'idle' } });
  });

  it('concurrent writes and a lock during them leave a complete index and an unbroken audit chain', async () => {
    const dir = freshDir();
    const v = await createVault(dir, 'pw', WEAK);
    const writes = Array.from({ length: 12 }, (_, i) =>
      i % 3 === 0 ? v.recordEvent('object-stored', undefined, { i }) : v.putObject(null, 'other', { i }),
    );
    const big = await v.putObject(null, 'other', randomBytes(200_000));
    const read = v.getObject(big.id);
    const locking = Promise.all([v.lock(), v.lock('idle')]);
    await expectCode(v.putObject(null, 'other', 'too late'), 'VAULT_LOCKED');
    expect((await read).length).toBe(200_000);
    await Promise.all([...writes, locking]);
    expect(v.locked).toBe(true);
    const ro = await openVault(dir, 'pw', { readOnly: true });
    const r = await ro.verify();
    expect(r).toMatchObject({ ok: true, objectsChecked: 9 });
    const events = (await ro.auditEntries()).map((e) => e.event);
    expect(events.filter((e) => e === 'vault-locked')).toHaveLength(1);
    expect(events.at(-1)).toBe('vault-locked');
    expect(events).toHaveLength(1 + 12 + 1 + 1);
    await ro.lock();
  });

  it('allows one writer: a second writable unlock is refused until the first locks; a dead holder is taken over', async () => {
    const dir = freshDir();
    const v = await createVault(dir, 'pw', WEAK);
    await expectCode(openVault(dir, 'pw'), 'VAULT_BUSY');
    const ro = await openVault(dir, 'pw', { readOnly: true });
    await expectCode(ro.putObject(null, 'other', 'x'), 'VAULT_LOCKED');
    await ro.lock();
    await v.lock();
    // a lock file left by a process that no longer exists
    writeFileSync(join(dir, 'vault.lock'), '2147483646\n');
    const again = await openVault(dir, 'pw', WEAK);
    await again.lock();
    expect(() => statSync(join(dir, 'vault.lock'))).toThrow();
  });

  it('refuses to create a vault over an existing one or in a folder with other files', async () => {
    const dir = freshDir();
    await (await createVault(dir, 'pw', WEAK)).lock();
    await expectCode(createVault(dir, 'pw', WEAK), 'VAULT_EXISTS');
    const other = freshDir();
    rmSync(other, { recursive: true, force: true });
    await expectCode(openVault(other, 'pw'), 'VAULT_NOT_FOUND');
    writeFileSync(`${other}.txt`, 'x');
    await expectCode(createVault(join(other, '..'), 'pw', WEAK), 'INVALID_INPUT');
  });
});
