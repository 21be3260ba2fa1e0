import { open, readFile } from 'node:fs/promises';
import { PulmoLensError } from '../../common/errors';

/**
 * Where a series' files are read from. The default is the file system; the vault provides one
 * that decrypts objects (whole, or just the chunks covering a byte range) so that decoded studies
 * never need plaintext files on disk.
 */
export interface FileSource {
  readFile(path: string): Promise<Uint8Array>;
  /** Exactly `length` bytes at `offset`, or fewer when the file ends first. */
  readRange(path: string, offset: number, length: number): Promise<Uint8Array>;
}

export const fsFileSource: FileSource = {
  readFile: (path) => readFile(path),
  async readRange(path, offset, length) {
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.allocUnsafeSlow(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  },
};

/**
 * Files already in memory (for example decrypted from the vault by the process that holds the
 * keys, then handed to the decoding worker), keyed by the frame paths of the series.
 */
export function bufferFileSource(files: ReadonlyMap<string, Uint8Array>): FileSource {
  const get = (path: string): Uint8Array => {
    const f = files.get(path);
    if (!f) throw new PulmoLensError('NOT_FOUND', 'file was not handed to the decoder', { path });
    return f;
  };
  return {
    readFile: async (path) => get(path),
    readRange: async (path, offset, length) => get(path).subarray(offset, offset + length),
  };
}
