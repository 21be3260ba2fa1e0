/**
 * The few AES-256-GCM and HKDF operations the vault is built from. Every sealed value carries its
 * own random 96-bit nonce; callers pass associated data that names exactly where the value belongs
 * (vault, object, chunk, ...) so that a value moved anywhere else fails authentication.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { nativeGcm } from './native-gcm';

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** nonce + tag around every sealed value */
export const SEAL_OVERHEAD = NONCE_BYTES + TAG_BYTES;

export function randomKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

export function randomId(bytes = 16): string {
  return randomBytes(bytes).toString('hex');
}

/**
 * Large values are (de)ciphered in slices this size: buffers this small are recycled by the
 * allocator instead of being mapped and faulted in afresh for every 1 MiB chunk.
 */
const CIPHER_SLICE = 64 * 1024;

/**
 * Layout: nonce | ciphertext | tag, as parts so large values can be written without a copy. With
 * the native cipher and `out` (at least plaintext + 16 bytes) the ciphertext and tag are written
 * into `out` and the parts view it: write them before `out` is used again.
 */
export function sealParts(key: Buffer, plaintext: Buffer, aad: Buffer, out?: Buffer): Buffer[] {
  const nonce = randomBytes(NONCE_BYTES);
  const gcm = nativeGcm();
  if (gcm) {
    const sealed =
      out && out.length >= plaintext.length + TAG_BYTES
        ? out
        : Buffer.allocUnsafe(plaintext.length + TAG_BYTES);
    gcm.sealInto(key, nonce, aad, plaintext, sealed);
    return [nonce, sealed.subarray(0, plaintext.length + TAG_BYTES)];
  }
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  // Enciphered in slices: a 1 MiB output buffer would be mapped and faulted in afresh each time.
  const parts = [nonce];
  for (let s = 0; s < plaintext.length; s += CIPHER_SLICE) {
    parts.push(cipher.update(plaintext.subarray(s, Math.min(plaintext.length, s + CIPHER_SLICE))));
  }
  const fin = cipher.final();
  if (fin.length > 0) parts.push(fin);
  parts.push(cipher.getAuthTag());
  return parts;
}

export function seal(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  return Buffer.concat(sealParts(key, plaintext, aad));
}

/** Returns null when authentication fails (wrong key, edited bytes, wrong associated data). */
export function open(key: Buffer, sealed: Buffer, aad: Buffer): Buffer | null {
  if (sealed.length < SEAL_OVERHEAD) return null;
  const nonce = sealed.subarray(0, NONCE_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const ct = sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES);
  const gcm = nativeGcm();
  if (gcm) {
    // Uninitialised is fine: every byte is written, or wiped when the tag fails.
    const out = Buffer.allocUnsafeSlow(ct.length);
    return gcm.openInto(key, nonce, aad, ct, tag, out) ? out : null;
  }
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  const pt = decipher.update(ct);
  try {
    const fin = decipher.final();
    return fin.length === 0 ? pt : Buffer.concat([pt, fin]);
  } catch {
    pt.fill(0);
    return null;
  }
}

/**
 * Deciphers a sealed value and hands plaintext bytes [from, to) to `sink` as they come:
 * `sink(piece, at)` gets bytes [from + at, from + at + piece.length), and each piece starts its own
 * buffer at offset 0 or at `from` plus a multiple of `CIPHER_SLICE`, so an even `from` gives every
 * piece an even `at` and an aligned buffer. Each piece is wiped once `sink` returns. Returns false
 * when authentication fails.
 *
 * With the native decipher (native-gcm.ts) the tag is checked first and `sink` only ever sees
 * verified bytes, in one piece from a reused per-thread buffer that stays in cache. Without it,
 * Node's decipher hands out slices as it goes and checks the tag only at the end: everything `sink`
 * was given is then unverified and the caller must discard what it made of it.
 */
export function openEach(
  key: Buffer,
  sealed: Buffer,
  aad: Buffer,
  from: number,
  to: number,
  sink: (piece: Buffer, at: number) => void,
): boolean {
  if (sealed.length < SEAL_OVERHEAD) return false;
  const nonce = sealed.subarray(0, NONCE_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const ct = sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES);
  const gcm = nativeGcm();
  if (gcm) {
    const lo = Math.min(from, ct.length);
    const out = nativeScratch(Math.max(0, Math.min(to, ct.length) - lo));
    if (!gcm.openRangeInto(key, nonce, aad, ct, tag, lo, out)) return false;
    try {
      if (out.length > 0) sink(out, 0);
    } finally {
      out.fill(0);
    }
    return true;
  }
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  // GCM authenticates the whole ciphertext, so every slice is deciphered; only [from, to) is kept.
  for (let pos = 0; pos < ct.length;) {
    const end = Math.min(pos < from ? from : ct.length, pos + CIPHER_SLICE);
    const pt = decipher.update(ct.subarray(pos, end));
    const lo = Math.max(from, pos);
    const hi = Math.min(to, end);
    if (hi > lo) sink(hi - lo === pt.length ? pt : pt.subarray(lo - pos, hi - pos), lo - from);
    pt.fill(0);
    pos = end;
  }
  try {
    decipher.final();
    return true;
  } catch {
    return false;
  }
}

/** This thread's plaintext buffer for the native decipher: reused, so it stays mapped and cached. */
let scratch: Buffer | null = null;

function nativeScratch(bytes: number): Buffer {
  if (scratch === null || scratch.length < bytes) scratch = Buffer.alloc(Math.max(bytes, CIPHER_SLICE));
  return scratch.subarray(0, bytes);
}

/**
 * With the native decipher only (null without it): deciphers a sealed value, writes plaintext
 * bytes [from, from + target.length) straight into `target` and checks the tag before returning
 * true; false, with `target` wiped, when authentication fails.
 */
export function openRangeInto(
  key: Buffer,
  sealed: Buffer,
  aad: Buffer,
  from: number,
  target: Uint8Array,
): boolean | null {
  const gcm = nativeGcm();
  if (gcm === null) return null;
  if (sealed.length < SEAL_OVERHEAD) return false;
  return gcm.openRangeInto(
    key,
    sealed.subarray(0, NONCE_BYTES),
    aad,
    sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES),
    sealed.subarray(sealed.length - TAG_BYTES),
    from,
    target,
  );
}

/**
 * Like `open`, but writes plaintext bytes [from, to) of the sealed value into `target` at `at`
 * instead of returning a new buffer. Returns false when authentication fails; what was written
 * to `target` is then unverified and the caller must discard it.
 */
export function openInto(
  key: Buffer,
  sealed: Buffer,
  aad: Buffer,
  target: Uint8Array,
  at: number,
  from: number,
  to: number,
): boolean {
  // Natively, any range goes straight into the target (wiped there if the tag fails).
  const n = sealed.length - SEAL_OVERHEAD;
  const lo = Math.min(from, n);
  const direct = openRangeInto(
    key,
    sealed,
    aad,
    lo,
    target.subarray(at, at + Math.max(0, Math.min(to, n) - lo)),
  );
  if (direct !== null) return direct;
  return openEach(key, sealed, aad, from, to, (piece, off) => target.set(piece, at + off));
}

/** Independent subkeys from the data key, one per purpose, so no key ever serves two roles. */
export function subkey(dataKey: Buffer, vaultId: string, purpose: string): Buffer {
  return Buffer.from(
    hkdfSync('sha256', dataKey, Buffer.from(vaultId, 'hex'), `pulmolens-vault/${purpose}`, KEY_BYTES),
  );
}

export function sha256(...parts: Buffer[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

export function equalBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Associated data: a purpose tag followed by length-prefixed fields, so fields never run together. */
export function aad(purpose: string, ...fields: Array<Buffer | string | number>): Buffer {
  const parts: Buffer[] = [Buffer.from(purpose, 'ascii')];
  for (const f of fields) {
    const b =
      typeof f === 'number'
        ? (() => {
            const n = Buffer.alloc(8);
            n.writeBigUInt64BE(BigInt(f));
            return n;
          })()
        : typeof f === 'string'
          ? Buffer.from(f, 'utf8')
          : f;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    parts.push(len, b);
  }
  return Buffer.concat(parts);
}

export function wipe(...bufs: Array<Buffer | undefined>): void {
  for (const b of bufs) b?.fill(0);
}
