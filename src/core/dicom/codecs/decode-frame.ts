import { Decoder as JpegLosslessDecoder } from '@cornerstonejs/jpeg-lossless-decoder-js';
import type { Codec } from '../transfer-syntax';
import type { FrameInfo, StoredPixels } from './codec-types';
import { decodeWithWasm, type WasmFrameInfo } from './wasm-codecs';
import { decodeJpegWithJs, decodeRleWithJs } from './cornerstone-js-codecs';
import { stripForeignJpegSegments } from './jpeg-markers';

/**
 * Decodes one frame's bytes into stored values (before rescale). `bytes` is the native frame
 * slice for uncompressed syntaxes and the frame's concatenated fragments for encapsulated ones.
 * Throws plain Errors; the caller wraps them with the file name.
 */
export async function decodeFrame(codec: Codec, bytes: Uint8Array, info: FrameInfo): Promise<StoredPixels> {
  if (info.samplesPerPixel !== 1) {
    throw new Error(`SamplesPerPixel ${info.samplesPerPixel}: only monochrome CT images are supported`);
  }
  switch (codec) {
    case 'native-le':
    case 'deflate':
      return nativeFrame(bytes, info, true);
    case 'native-be':
      return nativeFrame(bytes, info, false);
    case 'rle':
      return checkLength(
        await decodeRleWithJs(
          { ...info, planarConfiguration: 0, pixelRepresentation: info.pixelRepresentation },
          bytes,
        ),
        info,
      );
    case 'jpeg-lossless':
      return jpegLossless(bytes, info);
    case 'jpeg-ls':
      return fromWasm(await decodeWithWasm('charls', bytes), info);
    case 'jpeg-2000':
      return fromWasm(await decodeWithWasm('openjpeg', bytes), info);
    case 'htj2k':
      return fromWasm(await decodeWithWasm('openjph', requireEoc(bytes)), info);
    case 'jpeg-baseline':
    case 'jpeg-extended':
      if (info.bitsAllocated === 8 && codec === 'jpeg-baseline') {
        return fromWasm(await decodeWithWasm('libjpegTurbo', bytes), info);
      }
      return checkLength(
        toSignedness(await decodeJpegWithJs(bytes, info.columns, info.rows, info.bitsAllocated), info),
        info,
      );
  }
}

function pixelCount(info: FrameInfo): number {
  return info.rows * info.columns;
}

function checkLength<T extends StoredPixels>(px: T, info: FrameInfo): T {
  if (px.length < pixelCount(info)) {
    throw new Error(`decoded ${px.length} pixels, expected ${info.rows}x${info.columns}`);
  }
  return px.length === pixelCount(info) ? px : (px.subarray(0, pixelCount(info)) as T);
}

function nativeFrame(bytes: Uint8Array, info: FrameInfo, littleEndian: boolean): StoredPixels {
  const n = pixelCount(info);
  if (info.bitsAllocated === 8) {
    if (bytes.length < n) throw new Error(`pixel data has ${bytes.length} bytes, frame needs ${n}`);
    const copy = bytes.slice(0, n);
    return info.pixelRepresentation === 1 ? new Int8Array(copy.buffer) : copy;
  }
  if (info.bitsAllocated !== 16) {
    throw new Error(`BitsAllocated ${info.bitsAllocated} is not supported for CT (8 or 16)`);
  }
  if (bytes.length < n * 2) throw new Error(`pixel data has ${bytes.length} bytes, frame needs ${n * 2}`);
  if (littleEndian && bytes.byteOffset % 2 === 0) {
    // Aligned little-endian frame: a view, no copy (the caller only reads it).
    return info.pixelRepresentation === 1
      ? new Int16Array(bytes.buffer, bytes.byteOffset, n)
      : new Uint16Array(bytes.buffer, bytes.byteOffset, n);
  }
  // Copy to an aligned buffer: the frame may start at an odd offset inside the file.
  const copy = new Uint8Array(n * 2);
  copy.set(bytes.subarray(0, n * 2));
  if (!littleEndian) {
    for (let i = 0; i < copy.length; i += 2) {
      const t = copy[i]!;
      copy[i] = copy[i + 1]!;
      copy[i + 1] = t;
    }
  }
  return info.pixelRepresentation === 1 ? new Int16Array(copy.buffer) : new Uint16Array(copy.buffer);
}

function jpegLossless(bytes: Uint8Array, info: FrameInfo): StoredPixels {
  const decoder = new JpegLosslessDecoder();
  // The decoder wants an ArrayBuffer of its own.
  const aligned = stripForeignJpegSegments(bytes).slice();
  const out = decoder.decode(aligned.buffer, 0, aligned.length, info.bitsAllocated <= 8 ? 1 : 2) as
    Uint8Array | Uint16Array;
  return checkLength(toSignedness(out, info), info);
}

/**
 * OpenJPH decodes a cut codestream without complaint and returns the missing code-blocks as
 * zeros, so a truncated frame would pass as an image. T.800 requires the EOC marker at the end.
 */
function requireEoc(bytes: Uint8Array): Uint8Array {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end -= 1; // DICOM pads odd fragments with 0x00
  if (end < 2 || bytes[end - 2] !== 0xff || bytes[end - 1] !== 0xd9) {
    throw new Error(
      `HTJ2K codestream is truncated: ${bytes.length} bytes and no EOC marker (0xffd9) at the end`,
    );
  }
  return bytes;
}

function toSignedness(px: Uint8Array | Uint16Array | Int16Array, info: FrameInfo): StoredPixels {
  if (info.pixelRepresentation === 1) {
    if (px instanceof Uint16Array) return new Int16Array(px.buffer, px.byteOffset, px.length);
    if (px instanceof Uint8Array && info.bitsAllocated === 8)
      return new Int8Array(px.buffer, px.byteOffset, px.length);
  }
  return px;
}

function fromWasm(decoded: { info: WasmFrameInfo; bytes: Uint8Array }, info: FrameInfo): StoredPixels {
  const { info: fi, bytes } = decoded;
  if (fi.width !== info.columns || fi.height !== info.rows) {
    throw new Error(`codec frame is ${fi.width}x${fi.height}, header says ${info.columns}x${info.rows}`);
  }
  if (fi.componentCount !== 1) throw new Error(`codec frame has ${fi.componentCount} components, expected 1`);
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
  let px: StoredPixels;
  if (fi.bitsPerSample > 8) {
    px = info.pixelRepresentation === 1 ? new Int16Array(buf) : new Uint16Array(buf);
  } else {
    px = info.pixelRepresentation === 1 ? new Int8Array(buf) : new Uint8Array(buf);
  }
  return checkLength(px, info);
}
