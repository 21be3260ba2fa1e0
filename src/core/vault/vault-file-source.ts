import type { FileSource } from '../dicom/file-source';
import type { UnlockedVault } from './vault';

const PREFIX = 'vault:';

/**
 * Lets the DICOM loader read a stored series straight from the vault: frame paths are
 * `vault:<objectId>`, and a frame's pixel bytes are deciphered straight into the decode buffer
 * (by a decode worker given that object's key, or by `readObjectRangeInto`), only the chunks
 * that hold them. Nothing is written to disk.
 */
export function vaultFileSource(vault: UnlockedVault): FileSource {
  const objectId = (path: string) => (path.startsWith(PREFIX) ? path.slice(PREFIX.length) : path);
  return {
    readFile: (path) => vault.readInstance(path),
    readRange: (path, offset, length) => vault.readObjectRange(objectId(path), offset, length),
    // Decode workers decipher each object themselves, with that object's key only.
    slotRead: (path) => vault.objectSlotRead(objectId(path)),
    // Decrypted straight into the decode buffer; a range past the object's end is refused there.
    async readInto(path, offset, target) {
      await vault.readObjectRangeInto(objectId(path), offset, target);
      return target.length;
    },
  };
}
