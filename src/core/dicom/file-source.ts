import { open, readFile } from 'node:fs/promises';
import { PulmoLensError } from '../../common/errors';
import type { SlotRead } from './decode-protocol';

/**
 * Where a series' files are read from. The default is the file system; the vault provides one
 * that decrypts objects (whole, or just the chunks covering a byte range) so that decoded studies
 * never need plaintext files on disk.
 */
export interface FileSource {
  readFile(path: string): Promise<Uint8Array>;
  /** Exactly `length` bytes at `offset`, or fewer when the file ends first. */
  readRange(path: string, offset: number, length: number): Promise<Uint8Array>;
  /**
   * Reads `target.length` bytes at `offset` straight into `target` (the decode buffer), returning
   * how many there were. Optional: `readRangeInto` falls back to `readRange` and a copy.
   */
  readInto?(path: string, offset: number, target: Uint8Array): Promise<number>;
  /**
   * How a decode worker can read the file itself (throws as `readRange` would). Without it, this
   * thread reads each frame into the shared volume and the workers only convert.
   */
  slotRead?(path: string): SlotRead;
}

export async function readRangeInto(
  source: FileSource,
  path: string,
  offset: number,
  target: Uint8Array,
): Promise<number> {
  if (source.readInto) return source.readInto(path, offset, target);
  const bytes = await source.readRange(path, offset, target.length);
  target.set(bytes.subarray(0, target.length));
  return Math.min(bytes.length, target.length);
}

export const fsFileSource: FileSource = {
  readFile: (path) => readFile(path),
  slotRead: (path) => ({ kind: 'file', path }),
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
  async readInto(path, offset, target) {
    const fh = await open(path, 'r');
    try {
      let got = 0;
      while (got < target.length) {
        const { bytesRead } = await fh.read(target, got, target.length - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got;
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
