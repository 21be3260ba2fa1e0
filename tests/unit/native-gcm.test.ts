/**
 * The native AES-256-GCM decipher (native/vault_gcm.c) against Node's own AES-256-GCM and a
 * published test vector; runs where setup built it and says why where not.
 */
import { describe, expect, it } from 'vitest';
import { createCipheriv, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVault } from '../../src/core/vault';
import {
  findNativeGcm,
  NATIVE_GCM_FILE,
  nativeGcm,
  nativeGcmStatus,
  setNativeGcm,
} from '../../src/core/vault/native-gcm';

const status = nativeGcmStatus();

function seal(key: Buffer, nonce: Buffer, aad: Buffer, pt: Buffer) {
  const c = createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(aad);
  const ct = Buffer.concat([c.update(pt), c.final()]);
  return { ct, tag: c.getAuthTag() };
}

describe.skipIf(!status.native)(
  `native AES-256-GCM decipher${status.native ? '' : ` (skipped: ${status.why})`}`,
  () => {
    const gcm = nativeGcm()!;

    it('matches the McGrew-Viega test case 16 (AES-256, 60 bytes, 20 bytes of AAD)', () => {
      const key = Buffer.from('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308', 'hex');
      const nonce = Buffer.from('cafebabefacedbaddecaf888', 'hex');
      const aad = Buffer.from('feedfacedeadbeeffeedfacedeadbeefabaddad2', 'hex');
      const pt = Buffer.from(
        'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39',
        'hex',
      );
      const ct = Buffer.from(
        '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662',
        'hex',
      );
      const tag = Buffer.from('76fc6ece0f4e1768cddf8853bb2d551b', 'hex');
      const out = Buffer.alloc(ct.length);
      expect(gcm.openInto(key, nonce, aad, ct, tag, out)).toBe(true);
      expect(out.equals(pt)).toBe(true);
    });

    it('gives back what Node enciphered, for every length around the block size and chunk sizes', () => {
      for (const n of [0, 1, 15, 16, 17, 255, 65536, 65537, 1024 * 1024]) {
        const key = randomBytes(32);
        const nonce = randomBytes(12);
        const aad = randomBytes(n % 50);
        const pt = randomBytes(n);
        const { ct, tag } = seal(key, nonce, aad, pt);
        const out = Buffer.alloc(n + 3, 0xaa);
        expect(gcm.openInto(key, nonce, aad, ct, tag, out), `${n} bytes`).toBe(true);
        expect(out.subarray(0, n).equals(pt)).toBe(true);
        expect(out.subarray(n).equals(Buffer.alloc(3, 0xaa))).toBe(true); // nothing past the plaintext
      }
    });

    it('refuses a changed tag, ciphertext, nonce, associated data or key, and wipes what it wrote', () => {
      const key = randomBytes(32);
      const nonce = randomBytes(12);
      const aad = Buffer.from('vault object 7 chunk 3');
      const pt = randomBytes(5000);
      const { ct, tag } = seal(key, nonce, aad, pt);
      const flip = (b: Buffer, i: number) => {
        const c = Buffer.from(b);
        c[i]! ^= 1;
        return c;
      };
      const cases: Array<[string, Parameters<typeof gcm.openInto>]> = [
        ['tag', [key, nonce, aad, ct, flip(tag, 15), Buffer.alloc(5000)]],
        ['ciphertext', [key, nonce, aad, flip(ct, 4999), tag, Buffer.alloc(5000)]],
        ['nonce', [key, flip(nonce, 0), aad, ct, tag, Buffer.alloc(5000)]],
        ['aad', [key, nonce, flip(aad, 3), ct, tag, Buffer.alloc(5000)]],
        ['key', [flip(key, 31), nonce, aad, ct, tag, Buffer.alloc(5000)]],
      ];
      for (const [what, args] of cases) {
        expect(gcm.openInto(...args), what).toBe(false);
        expect(
          args[5].every((b) => b === 0),
          `${what}: output wiped`,
        ).toBe(true);
      }
    });

    it('enciphers exactly as Node does (ciphertext, then tag)', () => {
      for (const n of [0, 1, 16, 17, 65537, 1024 * 1024]) {
        const key = randomBytes(32);
        const nonce = randomBytes(12);
        const aad = randomBytes(n % 50);
        const pt = randomBytes(n);
        const { ct, tag } = seal(key, nonce, aad, pt);
        const out = Buffer.alloc(n + 16 + 5, 0xaa);
        expect(gcm.sealInto(key, nonce, aad, pt, out)).toBe(true);
        expect(out.subarray(0, n + 16).equals(Buffer.concat([ct, tag])), `${n} bytes`).toBe(true);
        expect(out.subarray(n + 16).equals(Buffer.alloc(5, 0xaa))).toBe(true);
      }
      expect(() =>
        gcm.sealInto(Buffer.alloc(32), Buffer.alloc(12), Buffer.alloc(0), Buffer.alloc(8), Buffer.alloc(23)),
      ).toThrow(TypeError);
    });

    it('a vault written with either cipher reads back with the other, by range and whole', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'pulmolens-native-vault-'));
      try {
        const v = await createVault(dir, 'pw', {
          kdf: { memoryKiB: 256, iterations: 1, parallelism: 1 },
          allowWeakKdf: true,
          idleLockMs: 0,
          chunkBytes: 64 * 1024,
        });
        const data = randomBytes(3 * 64 * 1024 + 777);
        const file = join(dir, 'plain.bin');
        writeFileSync(file, data);
        for (const writeNative of [true, false]) {
          setNativeGcm(writeNative);
          const fromBytes = await v.putObject(null, 'other', data);
          const fromFile = await v.putObject(null, 'other', { path: file });
          setNativeGcm(!writeNative);
          for (const o of [fromBytes, fromFile]) {
            expect((await v.getObject(o.id)).equals(data)).toBe(true);
            const part = Buffer.alloc(70_000);
            await v.readObjectRangeInto(o.id, 60_000, part);
            expect(part.equals(data.subarray(60_000, 130_000))).toBe(true);
          }
          setNativeGcm(true);
        }
        await v.lock();
      } finally {
        setNativeGcm(true);
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('throws a TypeError for wrong arguments instead of reading or writing out of bounds', () => {
      const k = Buffer.alloc(32);
      const n = Buffer.alloc(12);
      const t = Buffer.alloc(16);
      expect(() =>
        gcm.openInto(Buffer.alloc(16), n, Buffer.alloc(0), Buffer.alloc(4), t, Buffer.alloc(4)),
      ).toThrow(TypeError);
      expect(() =>
        gcm.openInto(k, Buffer.alloc(8), Buffer.alloc(0), Buffer.alloc(4), t, Buffer.alloc(4)),
      ).toThrow(TypeError);
      expect(() => gcm.openInto(k, n, Buffer.alloc(0), Buffer.alloc(4), t, Buffer.alloc(3))).toThrow(
        TypeError,
      );
      expect(() =>
        gcm.openInto(k, n, Buffer.alloc(0), Buffer.alloc(4), Buffer.alloc(15), Buffer.alloc(4)),
      ).toThrow(TypeError);
      expect(() =>
        gcm.openInto(k, n, Buffer.alloc(0), new Uint16Array(2) as unknown as Uint8Array, t, Buffer.alloc(4)),
      ).toThrow(TypeError);
      expect(() => (gcm.openInto as (...a: unknown[]) => boolean)(k, n)).toThrow(TypeError);
    });
  },
);

describe('finding the native decipher', () => {
  it("looks only in the application's own folder (the nearest package.json above), never above it", () => {
    const root = mkdtempSync(join(tmpdir(), 'pulmolens-native-'));
    try {
      // A planted addon above the application folder is not picked up...
      mkdirSync(join(root, 'build', 'native'), { recursive: true });
      writeFileSync(join(root, NATIVE_GCM_FILE), 'planted');
      const app = join(root, 'app');
      mkdirSync(join(app, 'out', 'main'), { recursive: true });
      writeFileSync(join(app, 'package.json'), '{}');
      expect(findNativeGcm(join(app, 'out', 'main'))).toBeNull();
      // ...the application's own is.
      mkdirSync(join(app, 'build', 'native'), { recursive: true });
      writeFileSync(join(app, NATIVE_GCM_FILE), 'built');
      expect(findNativeGcm(join(app, 'out', 'main'))).toBe(join(app, NATIVE_GCM_FILE));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    if (status.native)
      expect(findNativeGcm(join(__dirname, '..', '..', 'src', 'core', 'vault'))).toBe(status.path);
  });
});
