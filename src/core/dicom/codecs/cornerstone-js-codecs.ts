/**
 * Decoders that Cornerstone ships as plain JavaScript inside @cornerstonejs/dicom-image-loader
 * (the 12-bit JPEG baseline/extended decoder from pdf.js, and the RLE decoder). The package's
 * export map does not expose them, so they are imported by file path from the installed package.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const loaderRoot = dirname(require.resolve('@cornerstonejs/dicom-image-loader/package.json'));

function loaderModule<T>(rel: string): Promise<T> {
  return import(pathToFileURL(join(loaderRoot, 'dist', 'esm', rel)).href) as Promise<T>;
}

interface JpegImageInstance {
  parse(data: Uint8Array): void;
  colorTransform: boolean;
  getData(width: number, height: number): Uint8Array;
  getData16(width: number, height: number): Uint16Array;
}

let jpegImage: Promise<new () => JpegImageInstance> | undefined;

/** pdf.js-derived JPEG decoder (8/12-bit baseline and extended, Huffman). */
export async function decodeJpegWithJs(
  encoded: Uint8Array,
  columns: number,
  rows: number,
  bitsAllocated: number,
): Promise<Uint8Array | Uint16Array> {
  jpegImage ??= loaderModule<{ default: new () => JpegImageInstance }>('codecs/jpeg.js').then(
    (m) => m.default,
  );
  const JpegImage = await jpegImage;
  const img = new JpegImage();
  img.parse(encoded);
  img.colorTransform = false;
  return bitsAllocated > 8 ? img.getData16(columns, rows) : img.getData(columns, rows);
}

interface RleImageFrame {
  rows: number;
  columns: number;
  bitsAllocated: number;
  samplesPerPixel: number;
  planarConfiguration: number;
  pixelRepresentation: number;
  pixelData?: Uint8Array | Int8Array | Uint16Array | Int16Array;
}

let rle: Promise<(frame: RleImageFrame, data: Uint8Array) => Promise<RleImageFrame>> | undefined;

export async function decodeRleWithJs(
  frame: RleImageFrame,
  encoded: Uint8Array,
): Promise<Uint8Array | Int8Array | Uint16Array | Int16Array> {
  rle ??= loaderModule<{ default: (frame: RleImageFrame, data: Uint8Array) => Promise<RleImageFrame> }>(
    'shared/decoders/decodeRLE.js',
  ).then((m) => m.default);
  const decode = await rle;
  const out = await decode(frame, encoded);
  if (!out.pixelData) throw new Error('RLE decoder returned no pixels');
  return out.pixelData;
}
