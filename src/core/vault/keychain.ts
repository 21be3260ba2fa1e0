/**
 * Optional second wrap of the data key by the operating system's keychain (Electron safeStorage
 * in the app). Core only sees this interface; the policy of refusing the plaintext-equivalent
 * `basic_text` backend lives here so every caller gets it.
 */
import { PulmoLensError } from '../../common/errors';

export interface OsKeyProtector {
  /** e.g. 'keychain', 'dpapi', 'gnome_libsecret', 'kwallet5', 'basic_text' */
  backend(): string;
  isAvailable(): boolean;
  encrypt(b: Buffer): Buffer;
  decrypt(b: Buffer): Buffer;
}

/** Backends that store the secret with a hard-coded key, i.e. no real protection. */
export const WEAK_BACKENDS = new Set(['basic_text']);

export function assertUsableProtector(p: OsKeyProtector, acceptWeakBackend: boolean): string {
  if (!p.isAvailable()) {
    throw new PulmoLensError('VAULT_KEYCHAIN_REFUSED', 'the OS keychain is not available on this system');
  }
  const backend = p.backend();
  if (WEAK_BACKENDS.has(backend) && !acceptWeakBackend) {
    throw new PulmoLensError(
      'VAULT_KEYCHAIN_REFUSED',
      `the OS keychain backend is "${backend}", which stores secrets with a fixed key; ` +
        'unlock without passphrase is refused unless you explicitly accept the weaker protection',
      { details: { backend } },
    );
  }
  return backend;
}
