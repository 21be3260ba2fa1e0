/**
 * Rewrites the encrypted index of a locked vault the way an older PulmoLens left it, so tests can
 * reproduce vaults written before a fix (e.g. analyses stored with studyRef = null).
 */
import { join } from 'node:path';
import { subkey, wipe } from '../../src/core/vault/crypto';
import { readHeader, unwrapWithKek } from '../../src/core/vault/header';
import { readIndex, writeIndex, type IndexDoc } from '../../src/core/vault/index-file';
import { deriveKek } from '../../src/core/vault/kdf';

export async function rewriteIndex(
  dir: string,
  passphrase: string,
  mutate: (doc: IndexDoc) => void,
): Promise<void> {
  const header = await readHeader(dir);
  const kek = await deriveKek(passphrase, header.kdf);
  const dataKey = unwrapWithKek(kek, header);
  wipe(kek);
  if (!dataKey) throw new Error('rewriteIndex: wrong passphrase');
  const key = subkey(dataKey, header.vaultId, 'index');
  try {
    const doc = await readIndex(dir, header.vaultId, key);
    mutate(doc);
    doc.generation += 1;
    await writeIndex(dir, join(dir, 'tmp'), header.vaultId, key, doc);
  } finally {
    wipe(dataKey, key);
  }
}
