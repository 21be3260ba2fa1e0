/**
 * Decode worker: fills slots of the series' shared Int16 volume. For each uncompressed 16-bit
 * frame it reads the pixel bytes from the file straight into the frame's slot (or finds them
 * already there) and turns them into HU in place: one pass over the bytes, no buffer in between.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { PulmoLensError } from '../../common/errors';
import type { DecodeBatch, DecodeReply, TaskFailure } from './decode-protocol';
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

port.on('message', (b: DecodeBatch) => {
  const hu = new Int16Array(b.volume);
  const hist = new HuHistogram();
  const failures: TaskFailure[] = [];
  for (const t of b.tasks) {
    const d = t.direct;
    const byteOffset = t.slot * b.sliceSize * 2;
    try {
      if (t.path !== undefined) readInto(t.path, d.offset, new Uint8Array(b.volume, byteOffset, d.length));
      if (!d.littleEndian) Buffer.from(b.volume, byteOffset, d.length).swap16();
      storedToHu(new Uint16Array(b.volume, byteOffset, d.length / 2), d, hu, t.slot * b.sliceSize, hist);
    } catch (e) {
      failures.push({
        ref: t.ref,
        code: e instanceof PulmoLensError ? e.code : null,
        message: e instanceof Error ? e.message : String(e),
      });
    }
  }
  const { min, max, sum, count } = hist.stats();
  port.postMessage({ id: b.id, failures, stats: { min, max, sum, count } } satisfies DecodeReply);
});
