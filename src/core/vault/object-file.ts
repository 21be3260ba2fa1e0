/**
 * One encrypted object on disk: a 48-byte header followed by fixed-size AES-256-GCM chunks.
 *
 *   header  = "PLVOBJ01" | vault id (16) | object id (16) | chunk size u32 BE | 0 u32
 *   chunk i = nonce (12) | ciphertext (chunk size, the last one shorter) | tag (16)
 *   AAD(i)  = header | i | final-flag
 *
 * The header inside every chunk's associated data ties the chunk to this vault and this object;
 * the index and final flag make reordering and truncation fail authentication. Chunk i starts at
 * a computable offset, so any byte range is read by decrypting only the chunks that hold it.
 */
import fs, { promises as fsp } from 'node:fs';
import { PulmoLensError } from '../../common/errors';
import { aad, open, openEach, openInto, openRangeInto, sealParts, SEAL_OVERHEAD } from './crypto';
import { ioError, writeDurable } from './atomic-fs';

const OBJECT_MAGIC = Buffer.from('PLVOBJ01', 'ascii');
const OBJECT_HEADER_BYTES = 48;
export const DEFAULT_CHUNK_BYTES = 1024 * 1024;

export interface ObjectCoords {
  vaultId: string;
  objectId: string;
  chunkBytes: number;
}

function objectHeader(c: ObjectCoords): Buffer {
  const h = Buffer.alloc(OBJECT_HEADER_BYTES);
  OBJECT_MAGIC.copy(h, 0);
  Buffer.from(c.vaultId, 'hex').copy(h, 8);
  Buffer.from(c.objectId, 'hex').copy(h, 24);
  h.writeUInt32BE(c.chunkBytes, 40);
  return h;
}

function chunkCount(size: number, chunkBytes: number): number {
  return Math.max(1, Math.ceil(size / chunkBytes));
}

function encryptedSize(size: number, chunkBytes: number): number {
  return OBJECT_HEADER_BYTES + chunkCount(size, chunkBytes) * SEAL_OVERHEAD + size;
}

function chunkAad(header: Buffer, index: number, final: boolean): Buffer {
  return aad('PLVOBJ01/chunk', header, index, final ? 1 : 0);
}

function corrupt(c: ObjectCoords, path: string, chunk: number | null, reason: string): PulmoLensError {
  const where = chunk === null ? `object ${c.objectId}` : `object ${c.objectId} chunk ${chunk}`;
  return new PulmoLensError('VAULT_CORRUPT', `${where}: ${reason}`, {
    path,
    details: { objectId: c.objectId, chunk },
  });
}

/**
 * The `scratch` a writer of objects with this chunk size reuses (see writeObjectFile): a chunk of
 * plaintext read from the file and the chunk enciphered, with its tag.
 */
export function objectScratchBytes(chunkBytes: number): number {
  return 2 * chunkBytes + SEAL_OVERHEAD;
}

/** A source of plaintext: bytes in memory, or a file streamed chunk by chunk. */
export type ObjectSource = { bytes: Buffer } | { path: string };

/**
 * Encrypts `source` under `key` into `finalPath` via a temporary file in `tmpDir`. Returns the
 * plaintext size. The destination directory is not synced (the caller batches that). `scratch`
 * (`objectScratchBytes` long) is reused for file reads and their ciphertext; its owner wipes it
 * when done.
 */
export async function writeObjectFile(
  tmpDir: string,
  finalPath: string,
  c: ObjectCoords,
  key: Buffer,
  source: ObjectSource,
  scratch?: Buffer,
): Promise<number> {
  const header = objectHeader(c);
  let size = 0;
  await writeDurable(
    tmpDir,
    finalPath,
    async (write) => {
      if ('bytes' in source) {
        size = source.bytes.length;
        const n = chunkCount(size, c.chunkBytes);
        for (let i = 0; i < n; i++) {
          const part = source.bytes.subarray(i * c.chunkBytes, Math.min(size, (i + 1) * c.chunkBytes));
          const sealed = sealParts(key, part, chunkAad(header, i, i === n - 1));
          await write(i === 0 ? [header, ...sealed] : sealed);
        }
        return;
      }
      let src: fsp.FileHandle;
      try {
        src = await fsp.open(source.path, 'r');
      } catch (err) {
        throw new PulmoLensError('IO_ERROR', `cannot read ${source.path}: ${(err as Error).message}`, {
          path: source.path,
          cause: err,
        });
      }
      try {
        size = (await src.stat()).size;
        const n = chunkCount(size, c.chunkBytes);
        const own = scratch === undefined || scratch.length < objectScratchBytes(c.chunkBytes);
        const part = own ? Math.min(c.chunkBytes, Math.max(size, 1)) : c.chunkBytes;
        const work = own ? Buffer.allocUnsafe(objectScratchBytes(part)) : scratch;
        const buf = work.subarray(0, part);
        const sealedOut = work.subarray(part);
        for (let i = 0; i < n; i++) {
          const want = Math.min(c.chunkBytes, size - i * c.chunkBytes);
          let got = 0;
          while (got < want) {
            const { bytesRead } = await src.read(buf, got, want - got, i * c.chunkBytes + got);
            if (bytesRead === 0) {
              throw new PulmoLensError('IO_ERROR', `${source.path} shrank while it was being imported`, {
                path: source.path,
              });
            }
            got += bytesRead;
          }
          const sealed = sealParts(key, buf.subarray(0, want), chunkAad(header, i, i === n - 1), sealedOut);
          await write(i === 0 ? [header, ...sealed] : sealed);
        }
        // Plaintext must not linger in freed memory.
        if (own) work.fill(0);
      } finally {
        await src.close();
      }
    },
    { syncDir: false },
  );
  return size;
}

/**
 * Ciphertext read buffers, reused across objects (ciphertext is not secret, so nothing to wipe):
 * a fresh 1 MiB buffer per object would be mapped and faulted in each time.
 */
const spareSealed: Buffer[] = [];

function takeSealedBuffer(len: number): Buffer {
  for (let i = spareSealed.length - 1; i >= 0; i--) {
    if (spareSealed[i]!.length >= len) return spareSealed.splice(i, 1)[0]!;
  }
  if (spareSealed.length >= 8) spareSealed.shift();
  return Buffer.allocUnsafeSlow(len);
}

/**
 * Checks an object file's first bytes and its size against what the index says; returns the
 * expected header (part of every chunk's associated data).
 */
function checkObjectFile(
  c: ObjectCoords,
  path: string,
  size: number,
  head: Buffer,
  fileSize: number,
): Buffer {
  const expected = objectHeader(c);
  if (head.length < OBJECT_HEADER_BYTES || !head.subarray(0, 8).equals(OBJECT_MAGIC)) {
    throw corrupt(c, path, null, 'not a vault object (bad header)');
  }
  const fileVault = head.subarray(8, 24).toString('hex');
  if (fileVault !== c.vaultId) throw corrupt(c, path, null, `belongs to another vault (${fileVault})`);
  const fileObject = head.subarray(24, 40).toString('hex');
  if (fileObject !== c.objectId)
    throw corrupt(c, path, null, `holds object ${fileObject} (moved or swapped)`);
  if (!head.equals(expected)) throw corrupt(c, path, null, 'header fields altered');
  const want = encryptedSize(size, c.chunkBytes);
  if (fileSize !== want) {
    throw corrupt(
      c,
      path,
      null,
      `file is ${fileSize} bytes, expected ${want} (${fileSize < want ? 'truncated' : 'extended'})`,
    );
  }
  return expected;
}

/**
 * `ObjectReader.open(...).readRangeInto(offset, target)` in blocking calls, for a worker thread
 * (where blocking costs nothing and saves the asynchronous round trips); the same checks and
 * errors. Wipes `key` when done, and `target` when the read fails.
 */
export function readObjectRangeIntoSync(
  path: string,
  c: ObjectCoords,
  key: Buffer,
  size: number,
  offset: number,
  target: Uint8Array,
): void {
  try {
    readObjectRangeSync(path, c, key, size, offset, target.length, {
      into: (at, length) => target.subarray(at, at + length),
      // Already in place when deciphered into the target.
      piece: (piece, at) => {
        if (piece.buffer !== target.buffer || piece.byteOffset !== target.byteOffset + at)
          target.set(piece, at);
      },
    });
  } catch (err) {
    target.fill(0);
    throw err;
  }
}

/** What a blocking range read hands its plaintext to (see `readObjectRangeSync`). */
export interface RangeSink {
  /** Bytes [at, at + piece.length) of the range, in order, unverified until the read returns. */
  piece(piece: Buffer, at: number): void;
  /**
   * On an authentication failure, before the error is thrown: the same bytes again, for every
   * piece already handed, so the caller can take back what it made of them.
   */
  discard?(piece: Buffer, at: number): void;
  /**
   * Where bytes [at, at + length) of the range should be deciphered to, when the caller has a
   * place for them (a decode slot): with the native decipher they are then written there and
   * checked before `piece` is called with that very view, instead of passing through a buffer.
   */
  into?(at: number, length: number): Uint8Array;
}

/**
 * Deciphers bytes [offset, offset + length) of an object in blocking calls and hands them to
 * `sink.piece(piece, at)` (`at` counted from `offset`) slice by slice, while they are still in
 * cache: a worker converts them on the spot instead of copying them first. All the chunks are read
 * (and checked for truncation) before any is deciphered, so once a piece has been handed the only
 * error left is a chunk failing authentication: a typed error naming the object and chunk, after
 * `sink.discard`. With an even `offset` and chunk size every `at` is even (see `openEach`).
 * Wipes `key` when done.
 */
export function readObjectRangeSync(
  path: string,
  c: ObjectCoords,
  key: Buffer,
  size: number,
  offset: number,
  length: number,
  sink: RangeSink,
): void {
  const cb = c.chunkBytes;
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (err) {
    key.fill(0);
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw corrupt(c, path, null, 'file is missing');
    throw ioError(err, `read object ${c.objectId}`, path);
  }
  let sealed: Buffer | null = null;
  try {
    const readFully = (buf: Buffer, pos: number): number => {
      let got = 0;
      try {
        while (got < buf.length) {
          const n = fs.readSync(fd, buf, got, buf.length - got, pos + got);
          if (n === 0) break;
          got += n;
        }
      } catch (err) {
        throw ioError(err, `read object ${c.objectId}`, path);
      }
      return got;
    };
    const head = Buffer.alloc(OBJECT_HEADER_BYTES);
    const header = checkObjectFile(
      c,
      path,
      size,
      head.subarray(0, readFully(head, 0)),
      fs.fstatSync(fd).size,
    );
    if (offset < 0 || length < 0 || offset + length > size) {
      throw new PulmoLensError(
        'INVALID_INPUT',
        `range ${offset}+${length} is outside object ${c.objectId} (${size} bytes)`,
      );
    }
    if (length === 0) return;
    const n = chunkCount(size, cb);
    const first = Math.floor(offset / cb);
    const last = Math.floor((offset + length - 1) / cb);
    // Chunks lie back to back, so the range's chunks are one read.
    const start = OBJECT_HEADER_BYTES + first * (cb + SEAL_OVERHEAD);
    const end =
      OBJECT_HEADER_BYTES +
      last * (cb + SEAL_OVERHEAD) +
      (last === n - 1 ? size - last * cb : cb) +
      SEAL_OVERHEAD;
    sealed = takeSealedBuffer(Math.max(end - start, cb + SEAL_OVERHEAD));
    const all = sealed.subarray(0, end - start);
    const got = readFully(all, start);
    if (got < all.length) throw corrupt(c, path, first + Math.floor(got / (cb + SEAL_OVERHEAD)), 'truncated');
    const openChunk = (
      i: number,
      hand: (piece: Buffer, at: number) => void,
      into?: RangeSink['into'],
    ): boolean => {
      const plain = i === n - 1 ? size - i * cb : cb;
      const at = (i - first) * (cb + SEAL_OVERHEAD);
      const from = i === first ? offset - i * cb : 0;
      const to = i === last ? offset + length - i * cb : cb;
      const base = i * cb + from - offset;
      const chunk = all.subarray(at, at + plain + SEAL_OVERHEAD);
      const ad = chunkAad(header, i, i === n - 1);
      if (into) {
        const view = into(base, to - from);
        const ok = openRangeInto(key, chunk, ad, from, view);
        if (ok !== null) {
          if (ok) hand(Buffer.from(view.buffer, view.byteOffset, view.length), base);
          return ok;
        }
      }
      return openEach(key, chunk, ad, from, to, (p, pos) => hand(p, base + pos));
    };
    for (let i = first; i <= last; i++) {
      if (openChunk(i, (p, at) => sink.piece(p, at), sink.into)) continue;
      // Deciphering is deterministic: the same keystream gives back the very bytes handed.
      if (sink.discard) for (let j = first; j <= i; j++) openChunk(j, (p, at) => sink.discard!(p, at));
      throw corrupt(
        c,
        path,
        i,
        'authentication failed (altered, reordered, truncated or from another object)',
      );
    }
  } finally {
    if (sealed) spareSealed.push(sealed);
    key.fill(0);
    fs.closeSync(fd);
  }
}

/** Opened object for random access; `size` comes from the (authenticated) index. */
export class ObjectReader {
  private constructor(
    private readonly fh: fsp.FileHandle,
    private readonly path: string,
    private readonly c: ObjectCoords,
    private readonly key: Buffer,
    readonly size: number,
    private readonly header: Buffer,
  ) {}

  static async open(path: string, c: ObjectCoords, key: Buffer, size: number): Promise<ObjectReader> {
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw corrupt(c, path, null, 'file is missing');
      throw ioError(err, `read object ${c.objectId}`, path);
    }
    try {
      const head = Buffer.alloc(OBJECT_HEADER_BYTES);
      const { bytesRead } = await fh.read(head, 0, OBJECT_HEADER_BYTES, 0);
      const expected = checkObjectFile(c, path, size, head.subarray(0, bytesRead), (await fh.stat()).size);
      return new ObjectReader(fh, path, c, key, size, expected);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  get chunks(): number {
    return chunkCount(this.size, this.c.chunkBytes);
  }

  /** Sealed chunk i into `buf` (exactly its sealed length), or a typed error naming the object. */
  private async readSealed(i: number, buf: Uint8Array): Promise<void> {
    const len = buf.length;
    const pos = OBJECT_HEADER_BYTES + i * (this.c.chunkBytes + SEAL_OVERHEAD);
    let got = 0;
    try {
      while (got < len) {
        const { bytesRead } = await this.fh.read(buf, got, len - got, pos + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
    } catch (err) {
      throw ioError(err, `read object ${this.c.objectId}`, this.path);
    }
    if (got < len) throw corrupt(this.c, this.path, i, 'truncated');
  }

  async readChunk(i: number): Promise<Buffer> {
    const n = this.chunks;
    if (i < 0 || i >= n)
      throw new PulmoLensError('INVALID_INPUT', `object ${this.c.objectId} has no chunk ${i}`);
    const plain = i === n - 1 ? this.size - i * this.c.chunkBytes : this.c.chunkBytes;
    const len = plain + SEAL_OVERHEAD;
    // Filled completely by the read, or rejected as truncated.
    const buf = Buffer.allocUnsafe(len);
    await this.readSealed(i, buf);
    const pt = open(this.key, buf, chunkAad(this.header, i, i === n - 1));
    if (!pt) {
      throw corrupt(
        this.c,
        this.path,
        i,
        'authentication failed (altered, reordered, truncated or from another object)',
      );
    }
    return pt;
  }

  async readRange(offset: number, length: number): Promise<Buffer> {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new PulmoLensError(
        'INVALID_INPUT',
        `range ${offset}+${length} is outside object ${this.c.objectId} (${this.size} bytes)`,
      );
    }
    if (length === 0) return Buffer.alloc(0);
    const cb = this.c.chunkBytes;
    const first = Math.floor(offset / cb);
    const last = Math.floor((offset + length - 1) / cb);
    const parts: Buffer[] = [];
    for (let i = first; i <= last; i++) {
      const pt = await this.readChunk(i);
      const from = i === first ? offset - i * cb : 0;
      const to = i === last ? offset + length - i * cb : pt.length;
      parts.push(from === 0 && to === pt.length ? pt : pt.subarray(from, to));
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /**
   * Decrypts [offset, offset + target.length) straight into `target` (a decode buffer), reading
   * each chunk's ciphertext into one reused buffer. On an authentication failure `target` is
   * wiped before the error is thrown, so unverified plaintext never stays behind.
   */
  async readRangeInto(offset: number, target: Uint8Array): Promise<void> {
    const length = target.length;
    if (offset < 0 || offset + length > this.size) {
      throw new PulmoLensError(
        'INVALID_INPUT',
        `range ${offset}+${length} is outside object ${this.c.objectId} (${this.size} bytes)`,
      );
    }
    if (length === 0) return;
    const cb = this.c.chunkBytes;
    const first = Math.floor(offset / cb);
    const last = Math.floor((offset + length - 1) / cb);
    const sealed = takeSealedBuffer(cb + SEAL_OVERHEAD);
    try {
      for (let i = first; i <= last; i++) {
        const from = i === first ? offset - i * cb : 0;
        const to = i === last ? offset + length - i * cb : cb;
        await this.openChunkInto(i, sealed, from, to, target, i * cb + from - offset);
      }
    } finally {
      spareSealed.push(sealed);
    }
  }

  /** Plaintext bytes [from, to) of chunk i into `target` at `at`. */
  private async openChunkInto(
    i: number,
    sealed: Buffer,
    from: number,
    to: number,
    target: Uint8Array,
    at: number,
  ): Promise<void> {
    const n = this.chunks;
    const plain = i === n - 1 ? this.size - i * this.c.chunkBytes : this.c.chunkBytes;
    const len = plain + SEAL_OVERHEAD;
    const buf = sealed.subarray(0, len);
    await this.readSealed(i, buf);
    if (!openInto(this.key, buf, chunkAad(this.header, i, i === n - 1), target, at, from, to)) {
      target.fill(0);
      throw corrupt(
        this.c,
        this.path,
        i,
        'authentication failed (altered, reordered, truncated or from another object)',
      );
    }
  }

  async readAll(): Promise<Buffer> {
    return this.readRange(0, this.size);
  }

  /** Closes the file and wipes this reader's object key. */
  async close(): Promise<void> {
    this.key.fill(0);
    await this.fh.close().catch(() => undefined);
  }
}
