#!/usr/bin/env node
/**
 * Builds the optional native AES-256-GCM decipher the vault uses when present
 * (native/vault_gcm.c -> build/native/vault-gcm.node; see src/core/vault/native-gcm.ts).
 * Needs a C compiler, Node's headers (node_api.h) and OpenSSL's static libcrypto (Debian:
 * gcc, libssl-dev); linked statically with hidden symbols, so the addon does not depend on
 * which OpenSSL (or BoringSSL, in Electron) the host process carries. The result is checked
 * against Node's own AES-256-GCM before it is put in place. Exit 1 with the reason when it
 * cannot be built: the vault then uses Node's crypto, which is correct, only slower.
 *
 *   node scripts/build-native.mjs [--force]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'native', 'vault_gcm.c');
const outDir = join(root, 'build', 'native');
const out = join(outDir, 'vault-gcm.node');

function fail(why) {
  console.error(`build-native: ${why}; the vault will use Node's crypto (correct, slower)`);
  process.exit(1);
}

if (!process.argv.includes('--force') && existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) {
  console.log(`build-native: ${out} is up to date`);
  process.exit(0);
}
const includes = [
  join(dirname(process.execPath), '..', 'include', 'node'),
  '/usr/include/node',
  '/usr/local/include/node',
];
const include = includes.find((d) => existsSync(join(d, 'node_api.h')));
if (!include) fail(`node_api.h not found in ${includes.join(', ')}`);
const cc = process.env.CC || 'cc';
if (spawnSync(cc, ['--version']).status !== 0) fail(`no C compiler (${cc})`);

mkdirSync(outDir, { recursive: true });
const tmp = join(outDir, `vault-gcm.${process.pid}.node`);
try {
  execFileSync(
    cc,
    [
      '-O2',
      '-fPIC',
      '-shared',
      '-fvisibility=hidden',
      `-I${include}`,
      src,
      '-o',
      tmp,
      '-Wl,-Bstatic',
      '-lcrypto',
      '-Wl,-Bdynamic',
      '-Wl,--exclude-libs,ALL',
      '-Wl,-Bsymbolic',
      '-lpthread',
      '-ldl',
    ],
    { stdio: ['ignore', 'inherit', 'pipe'] },
  );
} catch (e) {
  rmSync(tmp, { force: true });
  fail(
    `compiling failed (is OpenSSL's static libcrypto installed? Debian: libssl-dev): ${String(
      e.stderr ?? e.message,
    )
      .trim()
      .split('\n')
      .slice(-3)
      .join(' | ')}`,
  );
}

// Known answers before use: random values against Node's AES-256-GCM, a wrong tag refused and wiped.
const check = `
const { createCipheriv, randomBytes } = require('node:crypto');
const g = require(${JSON.stringify(tmp)});
for (const n of [0, 1, 15, 16, 17, 4096, 65537, 1 << 20]) {
  const key = randomBytes(32), nonce = randomBytes(12), aad = randomBytes(n % 40), pt = randomBytes(n);
  const c = createCipheriv('aes-256-gcm', key, nonce); c.setAAD(aad);
  const ct = Buffer.concat([c.update(pt), c.final()]), tag = c.getAuthTag();
  const sealed = Buffer.alloc(n + 16);
  g.sealInto(key, nonce, aad, pt, sealed);
  if (!sealed.equals(Buffer.concat([ct, tag]))) throw new Error('sealInto differs from Node for ' + n + ' bytes');
  const out = Buffer.alloc(n);
  if (!g.openInto(key, nonce, aad, ct, tag, out) || !out.equals(pt)) throw new Error('wrong plaintext for ' + n + ' bytes');
  const from = n >> 2, part = Buffer.alloc(n >> 1);
  if (!g.openRangeInto(key, nonce, aad, ct, tag, from, part) || !part.equals(pt.subarray(from, from + part.length))) throw new Error('wrong range for ' + n + ' bytes');
  if (n > 0) {
    tag[0] ^= 1;
    if (g.openInto(key, nonce, aad, ct, tag, out) || out.some((b) => b !== 0)) throw new Error('a wrong tag was accepted');
    if (g.openRangeInto(key, nonce, aad, ct, tag, from, part) || part.some((b) => b !== 0)) throw new Error('a wrong tag was accepted');
  }
}`;
const r = spawnSync(process.execPath, ['-e', check], { encoding: 'utf8' });
if (r.status !== 0) {
  rmSync(tmp, { force: true });
  fail(`the built addon failed its check: ${(r.stderr || '').trim().split('\n').slice(-2).join(' | ')}`);
}
renameSync(tmp, out);
console.log(`build-native: ${out} built and checked against Node's AES-256-GCM`);
