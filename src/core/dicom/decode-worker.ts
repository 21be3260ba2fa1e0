/**
 * Decode worker: fills slots of the series' shared Int16 volume. For each uncompressed 16-bit
 * frame it reads the pixel bytes from the file, or deciphers them from the vault object, straight
 * into the frame's slot (or finds them already there) and turns them into HU in place: one pass
 * over the bytes, no buffer in between.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { PulmoLensError } from '../../common/errors';
import { ObjectReader } from '../vault/object-file';
import type { DecodeBatch, DecodeReply, DecodeTask, SlotRead, TaskFailure } from './decode-protocol';
import { HuHistogram, storedToHu } from './stored-to-hu';

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

async function readSlot(read: SlotRead, position: number, target: Uint8Array): Promise<void> {
  if (read.kind === 'file') {
    readInto(read.path, position, target);
    return;
  }
  const key = Buffer.from(read.key.buffer, read.key.byteOffset, read.key.length);
  let reader: ObjectReader;
  try {
    reader = await ObjectReader.open(read.file, read, key, read.size);
  } catch (e) {
    key.fill(0);
    throw e;
  }
  try {
    await reader.readRangeInto(position, target);
  } finally {
    await reader.close();
  }
}

/** Tasks of a batch in flight at once, so one task's reads overlap another's deciphering. */
const CONCURRENT_TASKS = 3;

port.on('message', async (b: DecodeBatch) => {
  const hu = new Int16Array(b.volume);
  const hist = new HuHistogram();
  const failures: TaskFailure[] = [];
  const run = async (t: DecodeTask): Promise<void> => {
    const d = t.direct;
    const byteOffset = t.slot * b.sliceSize * 2;
    try {
      if (t.read) await readSlot(t.read, d.offset, new Uint8Array(b.volume, byteOffset, d.length));
      if (!d.littleEndian) Buffer.from(b.volume, byteOffset, d.length).swap16();
      storedToHu(new Uint16Array(b.volume, byteOffset, d.length / 2), d, hu, t.slot * b.sliceSize, hist);
    } catch (e) {
      if (t.read?.kind === 'vault-object') t.read.key.fill(0);
      failures.push({
        ref: t.ref,
        code: e instanceof PulmoLensError ? e.code : null,
        message: e instanceof Error ? e.message : String(e),
        ...(e instanceof PulmoLensError && e.path ? { path: e.path } : {}),
        ...(e instanceof PulmoLensError && e.details ? { details: e.details } : {}),
      });
    }
  };
  const queue = b.tasks.slice();
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENT_TASKS, queue.length) }, async () => {
      for (let t = queue.shift(); t !== undefined; t = queue.shift()) await run(t);
    }),
  );
  const { min, max, sum, count } = hist.stats();
  port.postMessage({ id: b.id, failures, stats: { min, max, sum, count } } satisfies DecodeReply);
});
