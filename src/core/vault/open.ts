/** Creating and unlocking a vault (passphrase or OS keychain); both end in an UnlockedVault. */
import { promises as fsp } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { PulmoLensError } from '../../common/errors';
import { randomKey, subkey, wipe } from './crypto';
import { deriveKek, type KdfCost } from './kdf';
import { fsyncDir, ioError } from './atomic-fs';
import {
  FORMAT_NAME,
  FORMAT_VERSION,
  keyCheck,
  readHeader,
  unwrapWithKek,
  wrapWithKek,
  writeHeader,
  type VaultHeader,
} from './header';
import { DEFAULT_CHUNK_BYTES } from './object-file';
import { emptyIndex, readIndex, writeIndex, type IndexDoc } from './index-file';
import { AuditLog } from './audit-log';
import { acquireWriterLock } from './vault-lock-file';
import { assertUsableProtector, type OsKeyProtector } from './keychain';
import { freshKdf, resolveCost } from './key-wrapping';
import { paths } from './object-store';
import { VaultSessionState, type Keys, type VaultOptions } from './session';
import { UnlockedVault } from './vault';
import { unwrapWithRecoveryCode, wrapWithRecoveryCode } from './recovery';

export interface CreateVaultOptions extends VaultOptions {
  kdf?: Partial<KdfCost>;
  /**
   * Allow Argon2id costs below the product minimum. Only tests that are not about the KDF use
   * this, to create many vaults quickly; the CLI and the app never pass it.
   */
  allowWeakKdf?: boolean;
  chunkBytes?: number;
  /** From newRecoveryCode(), shown to the user once: it wraps the data key like the passphrase. */
  recoveryCode?: string;
}

export interface OpenVaultOptions extends VaultOptions {
  /** Read without the writer lock, garbage collection or audit entries (used by `verify`). */
  readOnly?: boolean;
}

const KNOWN_ENTRIES = new Set(['objects', 'tmp', 'index.plv', 'audit.plv', 'audit-head.plv', 'vault.lock']);

export async function createVault(
  dir: string,
  passphrase: string,
  opts: CreateVaultOptions = {},
): Promise<UnlockedVault> {
  const cost = resolveCost(opts.kdf, opts.allowWeakKdf === true);
  const chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  let existing: string[] = [];
  try {
    existing = await fsp.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(err, 'read the vault folder', dir);
  }
  if (existing.includes('vault.json')) {
    throw new PulmoLensError('VAULT_EXISTS', 'a vault already exists here', { path: dir });
  }
  // A folder left by an interrupted create holds only our own files and may be reused.
  const foreign = existing.filter((e) => !KNOWN_ENTRIES.has(e));
  if (foreign.length > 0) {
    throw new PulmoLensError(
      'INVALID_INPUT',
      `the folder is not empty (${foreign.length} entries); choose a new one`,
      {
        path: dir,
      },
    );
  }
  const p = paths(dir);
  try {
    await fsp.mkdir(p.objects, { recursive: true, mode: 0o700 });
    await fsp.mkdir(p.tmp, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw ioError(err, 'create the vault folder', dir);
  }
  const release = await acquireWriterLock(dir);
  const vaultId = randomBytes(16).toString('hex');
  const dataKey = randomKey();
  try {
    const kdf = freshKdf(cost);
    const kek = await deriveKek(passphrase, kdf);
    const header: VaultHeader = {
      format: FORMAT_NAME,
      version: FORMAT_VERSION,
      vaultId,
      chunkBytes,
      kdf,
      passphraseWrap: wrapWithKek(kek, dataKey, vaultId, kdf),
      osWrap: null,
      recoveryWrap: opts.recoveryCode ? wrapWithRecoveryCode(opts.recoveryCode, dataKey, vaultId) : null,
      keyCheck: keyCheck(dataKey, vaultId),
    };
    wipe(kek);
    const keys = deriveKeys(dataKey, vaultId);
    await writeIndex(dir, p.tmp, vaultId, keys.index, emptyIndex());
    const audit = await AuditLog.create(dir, p.tmp, vaultId, keys.audit);
    audit.actor = opts.actor ?? null;
    // The header goes last: a folder without it is an unfinished create, never a half vault.
    await writeHeader(dir, p.tmp, header);
    const v = new UnlockedVault(
      new VaultSessionState(dir, header, dataKey, keys, emptyIndex(), audit, release, opts),
    );
    await v.recordEvent('vault-created', undefined, {
      kdfMemoryKiB: kdf.memoryKiB,
      kdfIterations: kdf.iterations,
    });
    return v;
  } catch (err) {
    wipe(dataKey);
    await release();
    throw err;
  }
}

/** Unlocks with the passphrase. A wrong passphrase changes nothing on disk. */
export async function openVault(
  dir: string,
  passphrase: string,
  opts: OpenVaultOptions = {},
): Promise<UnlockedVault> {
  const header = await readHeader(dir);
  const kek = await deriveKek(passphrase, header.kdf);
  const dataKey = unwrapWithKek(kek, header);
  wipe(kek);
  if (!dataKey) {
    throw new PulmoLensError('VAULT_WRONG_PASSPHRASE', 'wrong passphrase for this vault', { path: dir });
  }
  return finishOpen(dir, header, dataKey, opts, 'passphrase');
}

/**
 * Opens with the recovery code shown at creation and sets a new passphrase (the old one no longer
 * unlocks). A wrong code is VAULT_WRONG_RECOVERY_CODE and changes nothing on disk.
 */
export async function recoverVault(
  dir: string,
  recoveryCode: string,
  newPassphrase: string,
  opts: OpenVaultOptions & { kdf?: Partial<KdfCost>; allowWeakKdf?: boolean } = {},
): Promise<UnlockedVault> {
  const header = await readHeader(dir);
  if (!header.recoveryWrap) {
    throw new PulmoLensError('VAULT_WRONG_RECOVERY_CODE', 'this vault was created without a recovery code', {
      path: dir,
    });
  }
  const dataKey = unwrapWithRecoveryCode(recoveryCode, header.recoveryWrap, header.vaultId);
  if (!dataKey) {
    throw new PulmoLensError('VAULT_WRONG_RECOVERY_CODE', 'wrong recovery code for this vault', {
      path: dir,
    });
  }
  const v = await finishOpen(dir, header, dataKey, { ...opts, readOnly: false }, 'recovery-code');
  try {
    await v.changePassphrase(newPassphrase, {
      ...(opts.kdf ? { kdf: opts.kdf } : {}),
      ...(opts.allowWeakKdf ? { allowWeakKdf: true } : {}),
    });
  } catch (err) {
    await v.lock();
    throw err;
  }
  return v;
}

/** Unlocks with the data key wrapped by the OS keychain (enabled earlier with enableOsUnlock). */
export async function openVaultWithOsKey(
  dir: string,
  protector: OsKeyProtector,
  opts: OpenVaultOptions = {},
): Promise<UnlockedVault> {
  const header = await readHeader(dir);
  if (!header.osWrap) {
    throw new PulmoLensError(
      'VAULT_KEYCHAIN_REFUSED',
      'unlock with the OS keychain is not enabled for this vault',
      {
        path: dir,
      },
    );
  }
  assertUsableProtector(protector, header.osWrap.acceptedWeakBackend);
  let dataKey: Buffer;
  try {
    dataKey = protector.decrypt(Buffer.from(header.osWrap.blob, 'base64'));
  } catch (err) {
    throw new PulmoLensError('VAULT_KEYCHAIN_REFUSED', 'the OS keychain could not unwrap the vault key', {
      path: dir,
      cause: err,
    });
  }
  if (dataKey.length !== 32 || keyCheck(dataKey, header.vaultId) !== header.keyCheck) {
    wipe(dataKey);
    throw new PulmoLensError(
      'VAULT_KEYCHAIN_REFUSED',
      'the OS keychain returned a key that does not open this vault',
      {
        path: dir,
      },
    );
  }
  return finishOpen(dir, header, dataKey, opts, `os-keychain:${header.osWrap.backend}`);
}

export async function isVault(dir: string): Promise<boolean> {
  try {
    await readHeader(dir);
    return true;
  } catch {
    return false;
  }
}

function deriveKeys(dataKey: Buffer, vaultId: string): Keys {
  return {
    index: subkey(dataKey, vaultId, 'index'),
    audit: subkey(dataKey, vaultId, 'audit'),
    objectWrap: subkey(dataKey, vaultId, 'object-key-wrap'),
  };
}

async function finishOpen(
  dir: string,
  header: VaultHeader,
  dataKey: Buffer,
  opts: OpenVaultOptions,
  via: string,
): Promise<UnlockedVault> {
  if (keyCheck(dataKey, header.vaultId) !== header.keyCheck) {
    wipe(dataKey);
    throw new PulmoLensError('VAULT_CORRUPT', 'vault header: key check value does not match the data key', {
      path: dir,
      details: { objectId: 'header' },
    });
  }
  const keys = deriveKeys(dataKey, header.vaultId);
  let release: (() => Promise<void>) | null = null;
  try {
    if (opts.readOnly) {
      const index = await readIndex(dir, header.vaultId, keys.index);
      return new UnlockedVault(new VaultSessionState(dir, header, dataKey, keys, index, null, null, opts));
    }
    release = await acquireWriterLock(dir);
    const index = await readIndex(dir, header.vaultId, keys.index);
    await collectGarbage(dir, index);
    const audit = await AuditLog.openForAppend(dir, paths(dir).tmp, header.vaultId, keys.audit);
    audit.actor = opts.actor ?? null;
    const v = new UnlockedVault(
      new VaultSessionState(dir, header, dataKey, keys, index, audit, release, opts),
    );
    await v.recordEvent('vault-unlocked', undefined, { via });
    return v;
  } catch (err) {
    wipe(dataKey, keys.index, keys.audit, keys.objectWrap);
    await release?.();
    throw err;
  }
}

/** Removes temporary files and objects no index names (left by interrupted imports or deletes). */
async function collectGarbage(dir: string, index: IndexDoc): Promise<void> {
  const p = paths(dir);
  const rmAll = async (folder: string, keep: (name: string) => boolean): Promise<number> => {
    let names: string[];
    try {
      names = await fsp.readdir(folder);
    } catch (err) {
      throw ioError(err, 'list vault files', folder);
    }
    let n = 0;
    for (const name of names) {
      if (keep(name)) continue;
      try {
        await fsp.rm(join(folder, name), { force: true, recursive: true });
        n++;
      } catch (err) {
        throw ioError(err, 'remove a leftover temporary file', join(folder, name));
      }
    }
    return n;
  };
  if ((await rmAll(p.tmp, () => false)) > 0) await fsyncDir(p.tmp);
  const known = (name: string) => name.endsWith('.plo') && index.objects[name.slice(0, -4)] !== undefined;
  if ((await rmAll(p.objects, known)) > 0) await fsyncDir(p.objects);
}
