/**
 * The recovery code: shown once when a vault is created, it wraps the data key as the passphrase
 * does, so a reader who forgot the passphrase can set a new one. 30 base32 characters (150 bits,
 * RFC 4648 alphabet) read as six groups of five. With that much entropy a guessing attack is
 * hopeless without a slow KDF, so the wrapping key is HKDF-SHA256 of the code with a random salt.
 * Without the passphrase and the recovery code the data cannot be recovered by anyone.
 */
import { hkdfSync, randomBytes } from 'node:crypto';
import { PulmoLensError } from '../../common/errors';
import { aad, open, seal } from './crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const CODE_CHARS = 30;
const GROUP = 5;

export interface RecoveryWrap {
  salt: string;
  blob: string;
}

/** A fresh code, grouped for reading: `ABCDE-FGHIJ-KLMNO-PQRST-UVWXY-Z2345`. */
export function newRecoveryCode(): string {
  const bytes = randomBytes(CODE_CHARS);
  // 256 is a multiple of 32: every character is uniform.
  const chars = [...bytes].map((b) => ALPHABET[b % 32]!).join('');
  return chars.match(new RegExp(`.{${GROUP}}`, 'g'))!.join('-');
}

/** The code as typed (any case, spaces or dashes) in its canonical form; INVALID_INPUT if it cannot be one. */
export function normalizeRecoveryCode(typed: string): string {
  const c = typed.toUpperCase().replace(/[\s-]/g, '');
  if (c.length !== CODE_CHARS || [...c].some((ch) => !ALPHABET.includes(ch))) {
    throw new PulmoLensError(
      'INVALID_INPUT',
      `a recovery code is ${CODE_CHARS} letters A-Z and digits 2-7 (six groups of five)`,
    );
  }
  return c;
}

function wrappingKey(code: string, salt: Buffer, vaultId: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(code, 'ascii'), salt, `PLV/recovery/${vaultId}`, 32));
}

export function wrapWithRecoveryCode(code: string, dataKey: Buffer, vaultId: string): RecoveryWrap {
  const salt = randomBytes(16);
  const k = wrappingKey(normalizeRecoveryCode(code), salt, vaultId);
  const blob = seal(k, dataKey, aad('PLV/wrap-recovery', vaultId, salt.toString('hex')));
  k.fill(0);
  return { salt: salt.toString('hex'), blob: blob.toString('base64') };
}

/** The data key, or null when the code is not this vault's. */
export function unwrapWithRecoveryCode(code: string, wrap: RecoveryWrap, vaultId: string): Buffer | null {
  const salt = Buffer.from(wrap.salt, 'hex');
  const k = wrappingKey(normalizeRecoveryCode(code), salt, vaultId);
  const key = open(k, Buffer.from(wrap.blob, 'base64'), aad('PLV/wrap-recovery', vaultId, wrap.salt));
  k.fill(0);
  return key;
}
