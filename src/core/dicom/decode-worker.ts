/**
 * Decode worker: fills slots of the series' shared Int16 volume. For each uncompressed 16-bit
 * frame it reads the pixel bytes from the file, or deciphers them from the vault object, straight
 * into the frame's slot (or finds them already there) and turns them into HU in place: one pass
 * over the bytes, no buffer in between.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { PulmoLensError } from '../../common/errors';
import { setNativeGcm } from '../vault/native-gcm';
import { readObjectRangeIntoSync, readObjectRangeSync } from '../vault/object-file';
import type { DecodeBatch, DecodeReply, SlotRead, TaskFailure } from './decode-protocol';
import type { DirectFrame } from './types';
import { HuHistogram, storedToHu, uncountStored } from './stored-to-hu';

const port = parentPort;
if (!port) throw new Error('decode-worker must run in a worker thread');

function readInto(path: string, position: number, target: Uint8Array): void {
  const fd = openSync(path, 'r');
  try {
    let got = 0;
    while (got < target.length) {
      const n = readSync(fd, target, got, target.length - got, position + got);
      if (n === 0) break;
      got += n;
    }
    if (got < target.length) {
      throw new PulmoLensError(
        'DICOM_PIXEL_ATTRIBUTES',
        `file ends after ${got} of ${target.length} pixel bytes`,
        { path },
      );
    }
  } finally {
    closeSync(fd);
  }
}

function readSlot(read: SlotRead, position: number, target: Uint8Array): void {
  if (read.kind === 'file') {
    readInto(read.path, position, target);
    return;
  }
  const key = Buffer.from(read.key.buffer, read.key.byteOffset, read.key.length);
  readObjectRangeIntoSync(read.file, read, key, read.size, position, target);
}

/**
 * Deciphers a vault object's frame bytes and turns them into HU in the frame's slot while they
 * are still in cache: with the native decipher straight into the slot and converted in place,
 * with Node's crypto slice by slice from its output buffers. A chunk is converted only once its tag
 * is checked (native) or before (Node's crypto: the tag comes last), so when a read fails the
 * counts of what was converted are taken back and the slot wiped before the error goes on. An
 * even pixel offset and chunk size (always, in practice) keep every slice voxel-aligned.
 */
function convertFromVault(
  read: Extract<SlotRead, { kind: 'vault-object' }>,
  d: DirectFrame,
  hu: Int16Array,
  voxel: number,
  hist: HuHistogram,
): void {
  const key = Buffer.from(read.key.buffer, read.key.byteOffset, read.key.length);
  // Each slice starts its own buffer; copied only if that ever stops being 2-byte aligned.
  const pixels = (piece: Buffer): Uint16Array => {
    const bytes = piece.byteOffset % 2 === 0 ? piece : new Uint8Array(piece);
    if (!d.littleEndian) Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).swap16();
    return new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2);
  };
  try {
    readObjectRangeSync(read.file, read, key, read.size, d.offset, d.length, {
      // With the native decipher the bytes land in the slot itself and are converted in place.
      into: (at, length) => new Uint8Array(hu.buffer, hu.byteOffset + voxel * 2 + at, length),
      piece: (piece, at) => storedToHu(pixels(piece), d, hu, voxel + at / 2, hist),
      discard: (piece) => uncountStored(pixels(piece), d, hist),
    });
  } catch (e) {
    hu.fill(0, voxel, voxel + d.length / 2);
    throw e;
  }
}

// Blocking reads: a worker has nothing else to do meanwhile, and they skip the asynchronous
// round trips.
port.on('message', (b: DecodeBatch) => {
  setNativeGcm(b.nativeDecipher);
  const hu = new Int16Array(b.volume);
  const hist = new HuHistogram();
  const failures: TaskFailure[] = [];
  for (const t of b.tasks) {
    const d = t.direct;
    const byteOffset = t.slot * b.sliceSize * 2;
    try {
      const read = t.read;
      if (read?.kind === 'vault-object' && d.offset % 2 === 0 && read.chunkBytes % 2 === 0) {
        convertFromVault(read, d, hu, t.slot * b.sliceSize, hist);
        continue;
      }
      if (t.read) readSlot(t.read, d.offset, new Uint8Array(b.volume, byteOffset, d.length));
      if (!d.littleEndian) Buffer.from(b.volume, byteOffset, d.length).swap16();
      storedToHu(new Uint16Array(b.volume, byteOffset, d.length / 2), d, hu, t.slot * b.sliceSize, hist);
    } catch (e) {
      failures.push({
        ref: t.ref,
        code: e instanceof PulmoLensError ? e.code : null,
        message: e instanceof Error ? e.message : String(e),
        ...(e instanceof PulmoLensError && e.path ? { path: e.path } : {}),
        ...(e instanceof PulmoLensError && e.details ? { details: e.details } : {}),
      });
    } finally {
      if (t.read?.kind === 'vault-object') t.read.key.fill(0);
    }
  }
  const { min, max, sum, count } = hist.stats();
  port.postMessage({ id: b.id, failures, stats: { min, max, sum, count } } satisfies DecodeReply);
});
