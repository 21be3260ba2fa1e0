import { PulmoLensError } from '../../common/errors';
import type { Volume } from '../../common/volume';
import { decodeFrame } from './codecs/decode-frame';
import { fsFileSource, type FileSource } from './file-source';
import { frameBytes, parseInstance } from './parse-instance';
import { toSkipped } from './scan';
import { HuHistogram, PADDING_HU, storedToHu } from './stored-to-hu';
import type { LoadedSeries, ScannedSeries, SkippedFile, TaskOptions } from './types';

/**
 * Decodes a scanned series into an Int16 HU volume. Each file is read and parsed once, its
 * frames decoded into their slots. A frame that fails is listed in `skipped` and left as air, so
 * one bad file never costs the rest of the series.
 */
/** Cancellation and a locked or broken vault end the whole load; anything else is per file. */
function isFatal(e: unknown): boolean {
  return e instanceof PulmoLensError && (e.code === 'CANCELLED' || e.code.startsWith('VAULT_'));
}

export interface LoadOptions extends TaskOptions {
  /** Where the files are read from (default: the file system; the vault passes its own). */
  source?: FileSource;
}

export async function loadSeries(series: ScannedSeries, opts: LoadOptions = {}): Promise<LoadedSeries> {
  const nx = series.columns;
  const ny = series.rows;
  const nz = series.slices;
  const sliceSize = nx * ny;
  const hu = new Int16Array(sliceSize * nz);
  const filled = new Uint8Array(nz);
  const hist = new HuHistogram();
  const skipped: SkippedFile[] = [];

  // Uncompressed frames: read just their bytes at the offsets the scan recorded (no re-parse).
  const directRefs = series.frames.filter((f) => f.direct);
  const byPath = new Map<string, typeof series.frames>();
  for (const f of series.frames.filter((x) => !x.direct)) {
    const list = byPath.get(f.path) ?? [];
    list.push(f);
    byPath.set(f.path, list);
  }
  let done = 0;
  const total = series.frames.length;
  const directQueue = directRefs.slice();
  const source = opts.source ?? fsFileSource;
  const readDirect = async (): Promise<void> => {
    for (let ref = directQueue.shift(); ref !== undefined; ref = directQueue.shift()) {
      if (opts.signal?.aborted) throw new PulmoLensError('CANCELLED', 'loading cancelled');
      const d = ref.direct!;
      try {
        const buf = await source.readRange(ref.path, d.offset, d.length);
        if (buf.length < d.length) {
          throw new PulmoLensError(
            'DICOM_PIXEL_ATTRIBUTES',
            `file ends after ${buf.length} of ${d.length} pixel bytes`,
            {
              path: ref.path,
            },
          );
        }
        // An aligned view when possible; a copy otherwise, and always before a byte swap.
        const frame =
          buf.byteOffset % 2 === 0 && d.littleEndian
            ? buf.subarray(0, d.length)
            : Buffer.from(buf.subarray(0, d.length));
        if (!d.littleEndian && d.bitsAllocated === 16) (frame as Buffer).swap16();
        const px =
          d.bitsAllocated === 16 ? new Uint16Array(frame.buffer, frame.byteOffset, d.length / 2) : frame;
        storedToHu(px, d, hu, ref.slot * sliceSize, hist);
        filled[ref.slot] = 1;
      } catch (e) {
        if (isFatal(e)) throw e;
        skipped.push(toSkipped(ref.path, e));
      }
      done += 1;
      opts.onProgress?.({ done, total, stage: 'decoding' });
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, directQueue.length) }, readDirect));

  const queue = [...byPath.entries()];
  const work = async (): Promise<void> => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
      if (opts.signal?.aborted) throw new PulmoLensError('CANCELLED', 'loading cancelled');
      const [path, refs] = item;
      try {
        const parsed = parseInstance(await source.readFile(path), path);
        const h = parsed.header;
        if (h.rows !== ny || h.columns !== nx) {
          throw new PulmoLensError(
            'SERIES_INCONSISTENT',
            `image is ${h.columns}x${h.rows}, series is ${nx}x${ny}`,
            {
              path,
            },
          );
        }
        for (const ref of refs) {
          const fh = h.frames[ref.frame];
          if (!fh)
            throw new PulmoLensError('DICOM_PIXEL_ATTRIBUTES', `frame ${ref.frame} is missing`, { path });
          let stored;
          try {
            stored = await decodeFrame(h.codec, frameBytes(parsed, ref.frame), h);
          } catch (e) {
            if (e instanceof PulmoLensError) throw e;
            throw new PulmoLensError(
              'DICOM_DECODE_FAILED',
              `frame ${ref.frame} (${h.transferSyntaxUid}) cannot be decoded: ${e instanceof Error ? e.message : String(e)}`,
              { path, cause: e },
            );
          }
          storedToHu(
            stored,
            { ...h, slope: fh.slope, intercept: fh.intercept },
            hu,
            ref.slot * sliceSize,
            hist,
          );
          filled[ref.slot] = 1;
          done += 1;
          opts.onProgress?.({ done, total, stage: 'decoding' });
        }
      } catch (e) {
        if (isFatal(e)) throw e;
        skipped.push(toSkipped(path, e));
        done += refs.length;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, queue.length) }, work));

  for (let k = 0; k < nz; k++) {
    if (!filled[k]) hu.fill(PADDING_HU, k * sliceSize, (k + 1) * sliceSize);
  }
  const { min, max, sum, count } = hist.stats();
  if (count === 0) {
    throw new PulmoLensError(
      'DICOM_DECODE_FAILED',
      `no image of series ${series.key} could be decoded: ${skipped[0]?.reason ?? 'unknown reason'}`,
      { path: skipped[0]?.path, details: { skipped } },
    );
  }
  const warnings = skipped.length
    ? [...series.warnings, `${skipped.length} file(s) could not be decoded; their slices are shown as air`]
    : series.warnings;
  const volume: Volume = {
    dims: [nx, ny, nz],
    spacingMm: series.spacingMm,
    originLps: series.originLps,
    direction: series.direction,
    hu,
  };
  return {
    series: { ...series, warnings },
    volume,
    huMin: min,
    huMax: max,
    huMean: sum / count,
    skipped,
  };
}
