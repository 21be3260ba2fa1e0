/**
 * vault.json: the only unencrypted file with structure. It holds no patient data, only what is
 * needed to unlock: the vault id, the Argon2id parameters and salt, the wrapped data key(s) and a
 * key check value. The wrap's associated data covers the vault id and the KDF parameters, so an
 * edited header cannot unlock with weaker parameters.
 */
import { join } from 'node:path';
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { PulmoLensError } from '../../common/errors';
import { aad, open, seal, subkey } from './crypto';
import type { KdfParams } from './kdf';
import { readFileOr, writeFileDurable } from './atomic-fs';

const HEADER_FILE = 'vault.json';
export const FORMAT_NAME = 'pulmolens-vault';
export const FORMAT_VERSION = 1;

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`));

const headerSchema = z.object({
  format: z.literal(FORMAT_NAME),
  version: z.literal(FORMAT_VERSION),
  vaultId: hex(16),
  chunkBytes: z
    .number()
    .int()
    .min(4096)
    .max(64 * 1024 * 1024),
  kdf: z.object({
    algorithm: z.literal('argon2id'),
    memoryKiB: z.number().int().positive(),
    iterations: z.number().int().positive(),
    parallelism: z.number().int().positive(),
    salt: hex(16),
  }),
  passphraseWrap: z.base64(),
  osWrap: z.object({ backend: z.string(), blob: z.base64(), acceptedWeakBackend: z.boolean() }).nullable(),
  /** The data key wrapped by the one-time recovery code (absent in vaults created without one). */
  recoveryWrap: z
    .object({ salt: hex(16), blob: z.base64() })
    .nullable()
    .optional(),
  keyCheck: hex(16),
});

export type VaultHeader = z.infer<typeof headerSchema>;

function headerPath(dir: string): string {
  return join(dir, HEADER_FILE);
}

export async function readHeader(dir: string): Promise<VaultHeader> {
  const path = headerPath(dir);
  let raw: Buffer;
  try {
    raw = await readFileOr(path, 'vault header');
  } catch (err) {
    if ((err as PulmoLensError).details?.errno === 'ENOENT') {
      throw new PulmoLensError('VAULT_NOT_FOUND', 'no vault here (vault.json is missing)', { path: dir });
    }
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new PulmoLensError('VAULT_CORRUPT', 'vault header is not valid JSON', {
      path,
      details: { objectId: 'header' },
    });
  }
  const parsed = headerSchema.safeParse(json);
  if (!parsed.success) {
    throw new PulmoLensError(
      'VAULT_CORRUPT',
      `vault header is malformed: ${parsed.error.issues[0]?.message ?? ''}`,
      {
        path,
        details: { objectId: 'header' },
      },
    );
  }
  return parsed.data;
}

export async function writeHeader(dir: string, tmpDir: string, h: VaultHeader): Promise<void> {
  headerSchema.parse(h);
  await writeFileDurable(tmpDir, headerPath(dir), Buffer.from(`${JSON.stringify(h, null, 2)}\n`, 'utf8'));
}

function wrapAad(vaultId: string, kdf: KdfParams): Buffer {
  const k = [kdf.algorithm, kdf.memoryKiB, kdf.iterations, kdf.parallelism, kdf.salt].join('/');
  return aad('PLV/wrap-passphrase', vaultId, k);
}

export function wrapWithKek(kek: Buffer, dataKey: Buffer, vaultId: string, kdf: KdfParams): string {
  return seal(kek, dataKey, wrapAad(vaultId, kdf)).toString('base64');
}

export function unwrapWithKek(kek: Buffer, h: VaultHeader): Buffer | null {
  return open(kek, Buffer.from(h.passphraseWrap, 'base64'), wrapAad(h.vaultId, h.kdf));
}

/** 16 bytes that confirm a data key without revealing anything about it. */
export function keyCheck(dataKey: Buffer, vaultId: string): string {
  const k = subkey(dataKey, vaultId, 'key-check');
  const out = createHmac('sha256', k).update(vaultId).digest().subarray(0, 16).toString('hex');
  k.fill(0);
  return out;
}
