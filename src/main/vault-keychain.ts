/**
 * The vault's OsKeyProtector on top of Electron safeStorage (Keychain on macOS, DPAPI on Windows,
 * libsecret/KWallet on Linux). Policy (refusing `basic_text`) lives in src/core/vault/keychain.ts.
 */
import { safeStorage } from 'electron';
import type { OsKeyProtector } from '../core/vault';

export function safeStorageProtector(): OsKeyProtector {
  const backend = (): string => {
    if (process.platform === 'darwin') return 'keychain';
    if (process.platform === 'win32') return 'dpapi';
    return safeStorage.getSelectedStorageBackend();
  };
  return {
    backend,
    // 'unknown' means the app is not ready yet: nothing can be protected then.
    isAvailable: () => backend() !== 'unknown' && safeStorage.isEncryptionAvailable(),
    // safeStorage takes strings; the key travels as base64 and never as raw text.
    encrypt: (b) => safeStorage.encryptString(b.toString('base64')),
    decrypt: (b) => Buffer.from(safeStorage.decryptString(b), 'base64'),
  };
}
