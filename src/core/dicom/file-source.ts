import { open, readFile } from 'node:fs/promises';

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
