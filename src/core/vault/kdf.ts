/**
 * Passphrase -> key-encryption key with Argon2id. The parameters live in the vault header so a
 * later version can raise them (passphrase change or re-wrap) without touching any data.
 */
import { argon2id } from 'hash-wasm';
import { PulmoLensError } from '../../common/errors';

export interface KdfParams {
  algorithm: 'argon2id';
  /** memory cost in KiB */
  memoryKiB: number;
  iterations: number;
  parallelism: number;
  /** hex, per vault and renewed on every re-wrap */
  salt: string;
}

export type KdfCost = Pick<KdfParams, 'memoryKiB' | 'iterations' | 'parallelism'>;

/** Product strength: 64 MiB, 3 passes, 4 lanes (about 0.5 s on a laptop core). */
export const DEFAULT_KDF_COST: KdfCost = { memoryKiB: 64 * 1024, iterations: 3, parallelism: 4 };

function isBelowProductStrength(c: KdfCost): boolean {
  return (
    c.memoryKiB < DEFAULT_KDF_COST.memoryKiB ||
    c.iterations < DEFAULT_KDF_COST.iterations ||
    c.parallelism < DEFAULT_KDF_COST.parallelism
  );
}

/**
 * Weaker costs exist only so tests that are not about the KDF can create many vaults quickly; the
 * caller has to say so explicitly, and the CLI and the app never do.
 */
export function checkKdfCost(c: KdfCost, allowWeak: boolean): void {
  const sane =
    Number.isInteger(c.memoryKiB) &&
    Number.isInteger(c.iterations) &&
    Number.isInteger(c.parallelism) &&
    c.parallelism >= 1 &&
    c.parallelism <= 16 &&
    c.iterations >= 1 &&
    c.iterations <= 64 &&
    c.memoryKiB >= 8 * c.parallelism &&
    c.memoryKiB <= 4 * 1024 * 1024;
  if (!sane)
    throw new PulmoLensError('INVALID_INPUT', `Argon2id parameters out of range: ${JSON.stringify(c)}`);
  if (!allowWeak && isBelowProductStrength(c)) {
    throw new PulmoLensError(
      'INVALID_INPUT',
      `Argon2id parameters ${JSON.stringify(c)} are below the product minimum ${JSON.stringify(DEFAULT_KDF_COST)}`,
    );
  }
}

function normalizePassphrase(passphrase: string): Buffer {
  if (typeof passphrase !== 'string' || passphrase.length === 0) {
    throw new PulmoLensError('INVALID_INPUT', 'the vault passphrase must not be empty');
  }
  // One Unicode spelling per passphrase, so the same typed characters unlock on every OS.
  return Buffer.from(passphrase.normalize('NFC'), 'utf8');
}

export async function deriveKek(passphrase: string, p: KdfParams): Promise<Buffer> {
  if (p.algorithm !== 'argon2id')
    throw new PulmoLensError('VAULT_CORRUPT', `unknown KDF ${String(p.algorithm)}`);
  checkKdfCost(p, true);
  const pw = normalizePassphrase(passphrase);
  try {
    const out = await argon2id({
      password: pw,
      salt: Buffer.from(p.salt, 'hex'),
      memorySize: p.memoryKiB,
      iterations: p.iterations,
      parallelism: p.parallelism,
      hashLength: 32,
      outputType: 'binary',
    });
    return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  } finally {
    pw.fill(0);
  }
}
