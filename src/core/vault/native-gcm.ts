/**
 * The optional native AES-256-GCM decipher (`native/vault_gcm.c`, built by `npm run build:native`,
 * which setup runs): it deciphers a sealed chunk into a buffer the caller owns and checks the tag
 * before returning, where Node's `decipher.update()` hands back fresh, zero-filled memory on every
 * call. Same algorithm, same bytes: the vault format does not depend on it, and without it (no C
 * compiler on the machine, an unsupported platform) the vault falls back to Node's crypto.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeGcm {
  /**
   * Deciphers `ciphertext` into `out` and checks `tag`; false (and `out` wiped over the
   * ciphertext's length) when authentication fails.
   */
  openInto(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
    tag: Uint8Array,
    out: Uint8Array,
  ): boolean;
  /**
   * Deciphers all of `ciphertext` but writes only plaintext bytes [from, from + out.length) to
   * `out` (the rest goes through a wiped scratch buffer) and checks `tag`; false (and `out`
   * wiped) when authentication fails.
   */
  openRangeInto(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
    tag: Uint8Array,
    from: number,
    out: Uint8Array,
  ): boolean;
  /** Enciphers `plaintext` into `out`: the ciphertext, then the 16-byte tag. */
  sealInto(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array): true;
}

export const NATIVE_GCM_FILE = join('build', 'native', 'vault-gcm.node');

/**
 * The built addon of the application this module belongs to (source tree or bundle): looked for
 * only in the nearest folder above `from` that holds a package.json, never further up, so that a
 * file planted in a shared folder above the installation (/tmp, say) is never loaded.
 */
export function findNativeGcm(from: string): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) {
      const p = join(dir, NATIVE_GCM_FILE);
      return existsSync(p) ? p : null;
    }
    if (dirname(dir) === dir) return null;
  }
}

type State = { gcm: NativeGcm; path: string } | { gcm: null; why: string };

function load(): State {
  const here = dirname(fileURLToPath(import.meta.url));
  const path = findNativeGcm(here);
  if (!path) return { gcm: null, why: `${NATIVE_GCM_FILE} not built (npm run build:native)` };
  try {
    const mod = createRequire(import.meta.url)(path) as Partial<NativeGcm>;
    if (
      ['openInto', 'openRangeInto', 'sealInto'].some((f) => typeof mod[f as keyof NativeGcm] !== 'function')
    ) {
      return { gcm: null, why: `${path} is out of date (npm run build:native)` };
    }
    return { gcm: mod as NativeGcm, path };
  } catch (e) {
    return { gcm: null, why: `${path} does not load: ${e instanceof Error ? e.message : String(e)}` };
  }
}

let state: State | undefined;
let enabled = true;

/** The addon when built and enabled in this thread, else null. */
export function nativeGcm(): NativeGcm | null {
  if (!enabled) return null;
  state ??= load();
  return state.gcm;
}

/** What the vault deciphers with here, for diagnostics and the bench. */
export function nativeGcmStatus(): { native: true; path: string } | { native: false; why: string } {
  state ??= load();
  if (state.gcm === null) return { native: false, why: state.why };
  if (!enabled) return { native: false, why: 'turned off in this thread' };
  return { native: true, path: state.path };
}

/** Turns the addon off (or back on) in the calling thread: tests and the bench compare both paths. */
export function setNativeGcm(on: boolean): void {
  enabled = on;
}
