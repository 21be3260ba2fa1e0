/** How the data key is wrapped: passphrase (Argon2id) and optionally the OS keychain. */
import { randomBytes } from 'node:crypto';
import { PulmoLensError } from '../../common/errors';
import { equalBytes, wipe } from './crypto';
import { checkKdfCost, DEFAULT_KDF_COST, deriveKek, type KdfCost, type KdfParams } from './kdf';
import { unwrapWithKek, wrapWithKek, writeHeader, type VaultHeader } from './header';
import { assertUsableProtector, WEAK_BACKENDS, type OsKeyProtector } from './keychain';
import { paths } from './object-store';
import type { VaultSessionState } from './session';

export function resolveCost(k: Partial<KdfCost> | undefined, allowWeak: boolean): KdfCost {
  const cost: KdfCost = { ...DEFAULT_KDF_COST, ...(k ?? {}) };
  checkKdfCost(cost, allowWeak);
  return cost;
}

export function freshKdf(cost: KdfCost): KdfParams {
  return { algorithm: 'argon2id', ...cost, salt: randomBytes(16).toString('hex') };
}

async function writeNewHeader(state: VaultSessionState, h: VaultHeader): Promise<void> {
  await writeHeader(state.dir, paths(state.dir).tmp, h);
  state.header = h;
}

/** Re-wraps the data key under a new passphrase (new salt); no data is re-encrypted. */
export function changePassphrase(
  state: VaultSessionState,
  newPassphrase: string,
  opts: { kdf?: Partial<KdfCost>; allowWeakKdf?: boolean } = {},
): Promise<void> {
  return state.exclusive(async () => {
    const k = state.writable();
    const kdf = freshKdf(resolveCost(opts.kdf, opts.allowWeakKdf === true));
    const kek = await deriveKek(newPassphrase, kdf);
    const h: VaultHeader = {
      ...state.header,
      kdf,
      passphraseWrap: wrapWithKek(kek, state.dataKey!, state.vaultId, kdf),
    };
    wipe(kek);
    await writeNewHeader(state, h);
    await state.audit!.append(k.audit, {
      event: 'passphrase-changed',
      details: { kdfMemoryKiB: kdf.memoryKiB },
    });
  });
}

/**
 * Renews the key wrapping: new salt and nonce, optionally stronger Argon2id costs, and a fresh
 * OS keychain wrap when a protector is given. Requires the current passphrase.
 */
export function rotateKeyWrapping(
  state: VaultSessionState,
  passphrase: string,
  opts: { kdf?: Partial<KdfCost>; allowWeakKdf?: boolean; protector?: OsKeyProtector } = {},
): Promise<void> {
  return state.exclusive(async () => {
    const k = state.writable();
    const oldKek = await deriveKek(passphrase, state.header.kdf);
    const check = unwrapWithKek(oldKek, state.header);
    wipe(oldKek);
    if (!check || !equalBytes(check, state.dataKey!)) {
      wipe(check ?? undefined);
      throw new PulmoLensError('VAULT_WRONG_PASSPHRASE', 'wrong passphrase for this vault', {
        path: state.dir,
      });
    }
    wipe(check);
    const current: KdfCost = {
      memoryKiB: state.header.kdf.memoryKiB,
      iterations: state.header.kdf.iterations,
      parallelism: state.header.kdf.parallelism,
    };
    const kdf = freshKdf(resolveCost({ ...current, ...(opts.kdf ?? {}) }, opts.allowWeakKdf === true));
    const kek = await deriveKek(passphrase, kdf);
    let osWrap = state.header.osWrap;
    if (osWrap && opts.protector) {
      const backend = assertUsableProtector(opts.protector, osWrap.acceptedWeakBackend);
      osWrap = {
        backend,
        blob: opts.protector.encrypt(state.dataKey!).toString('base64'),
        acceptedWeakBackend: osWrap.acceptedWeakBackend,
      };
    }
    const h: VaultHeader = {
      ...state.header,
      kdf,
      osWrap,
      passphraseWrap: wrapWithKek(kek, state.dataKey!, state.vaultId, kdf),
    };
    wipe(kek);
    await writeNewHeader(state, h);
    await state.audit!.append(k.audit, {
      event: 'key-wrapping-rotated',
      details: { kdfMemoryKiB: kdf.memoryKiB, kdfIterations: kdf.iterations, osWrap: osWrap !== null },
    });
  });
}

/** Adds unlock through the OS keychain; `basic_text` is refused unless explicitly accepted. */
export function enableOsUnlock(
  state: VaultSessionState,
  protector: OsKeyProtector,
  opts: { acceptWeakBackend?: boolean } = {},
): Promise<void> {
  return state.exclusive(async () => {
    const k = state.writable();
    const accept = opts.acceptWeakBackend === true;
    const backend = assertUsableProtector(protector, accept);
    const blob = protector.encrypt(state.dataKey!).toString('base64');
    await writeNewHeader(state, {
      ...state.header,
      osWrap: { backend, blob, acceptedWeakBackend: accept && WEAK_BACKENDS.has(backend) },
    });
    await state.audit!.append(k.audit, { event: 'os-unlock-enabled', details: { backend } });
  });
}

export function disableOsUnlock(state: VaultSessionState): Promise<void> {
  return state.exclusive(async () => {
    const k = state.writable();
    await writeNewHeader(state, { ...state.header, osWrap: null });
    await state.audit!.append(k.audit, { event: 'os-unlock-disabled' });
  });
}
