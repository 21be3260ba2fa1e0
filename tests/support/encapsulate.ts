/**
 * Builds encapsulated test files from real explicit-VR-little-endian DICOM files: the same header
 * with a new transfer syntax and the given frame as Pixel Data fragments. Used for codec tests on
 * streams no shared file carries (HTJ2K, JPEG with extra marker segments).
 */
import { createRequire } from 'node:module';
import dicomParser from 'dicom-parser';

const EXPLICIT_LE = '1.2.840.10008.1.2.1';

function u16(v: number): Uint8Array {
  return Uint8Array.of(v & 0xff, v >> 8);
}
function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
}
function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
function item(body: Uint8Array): Uint8Array {
  const even = body.length % 2 === 0 ? body : concat([body, Uint8Array.of(0)]);
  return concat([u16(0xfffe), u16(0xe000), u32(even.length), even]);
}

/** The native pixel bytes and geometry of an uncompressed single-frame file. */
export function nativePixels(file: Uint8Array): {
  bytes: Uint8Array;
  rows: number;
  columns: number;
  bitsStored: number;
  signed: boolean;
} {
  const ds = dicomParser.parseDicom(file);
  if (ds.string('x00020010') !== EXPLICIT_LE) throw new Error('test source must be explicit VR LE');
  const el = ds.elements['x7fe00010']!;
  const rows = ds.uint16('x00280010')!;
  const columns = ds.uint16('x00280011')!;
  const bytes = file.slice(el.dataOffset, el.dataOffset + rows * columns * 2);
  return { bytes, rows, columns, bitsStored: ds.uint16('x00280101')!, signed: ds.uint16('x00280103') === 1 };
}

/** `file` rewritten with transfer syntax `tsUid` and one frame, split into `fragments` fragments. */
export function withEncapsulatedFrame(
  file: Uint8Array,
  tsUid: string,
  frame: Uint8Array,
  fragments = 1,
): Uint8Array {
  const ds = dicomParser.parseDicom(file);
  if (ds.string('x00020010') !== EXPLICIT_LE) throw new Error('test source must be explicit VR LE');
  const metaStart = 132;
  // Where the meta group really ends (CT1_UNC's group length is 4 bytes short).
  let metaEnd = 0;
  // File meta: every element but the group length and transfer syntax, copied as is.
  const metaParts: Uint8Array[] = [];
  for (const [tag, el] of Object.entries(ds.elements)) {
    if (!tag.startsWith('x0002')) continue;
    metaEnd = Math.max(metaEnd, el.dataOffset + el.length);
    if (tag === 'x00020000' || tag === 'x00020010') continue;
    const headerLen = el.dataOffset - (el.vr && ['OB', 'OW', 'UN', 'SQ', 'UT'].includes(el.vr) ? 12 : 8);
    metaParts.push(file.subarray(headerLen, el.dataOffset + el.length));
  }
  const ts = new TextEncoder().encode(tsUid.length % 2 ? `${tsUid}\0` : tsUid);
  metaParts.push(concat([u16(0x0002), u16(0x0010), new TextEncoder().encode('UI'), u16(ts.length), ts]));
  metaParts.sort((a, b) => a[2]! + (a[3]! << 8) - (b[2]! + (b[3]! << 8)));
  const meta = concat(metaParts);
  const px = ds.elements['x7fe00010']!;
  const pixelTagAt = px.dataOffset - 12;
  // Even fragment sizes: only the last fragment may need a pad byte (after the EOI).
  const step = Math.ceil(frame.length / fragments / 2) * 2;
  const frags: Uint8Array[] = [];
  for (let o = 0; o < frame.length; o += step) frags.push(item(frame.subarray(o, o + step)));
  return concat([
    file.subarray(0, metaStart),
    concat([u16(0x0002), u16(0x0000), new TextEncoder().encode('UL'), u16(4), u32(meta.length)]),
    meta,
    file.subarray(metaEnd, pixelTagAt),
    concat([u16(0x7fe0), u16(0x0010), new TextEncoder().encode('OB'), u16(0), u32(0xffffffff)]),
    item(new Uint8Array(0)),
    ...frags,
    concat([u16(0xfffe), u16(0xe0dd), u32(0)]),
  ]);
}

interface Htj2kFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned: boolean;
  isUsingColorTransform: boolean;
}
interface Htj2kEncoder {
  getDecodedBuffer(info: Htj2kFrameInfo): Uint8Array;
  setQuality(lossless: boolean, quantizationStep: number): void;
  setProgressionOrder(order: number): void;
  encode(): void;
  getEncodedBuffer(): Uint8Array;
}

/** Encodes one 16-bit frame with OpenJPH's HTJ2K encoder (the codec package's own build). */
export async function encodeHtj2k(
  pixels: ReturnType<typeof nativePixels>,
  opts: { lossless: boolean; quantizationStep?: number; rpcl?: boolean },
): Promise<Uint8Array> {
  const require = createRequire(import.meta.url);
  const factory = require('@cornerstonejs/codec-openjph') as (o: object) => Promise<{
    HTJ2KEncoder: new () => Htj2kEncoder;
  }>;
  const wasm = require.resolve('@cornerstonejs/codec-openjph/wasm');
  const mod = await factory({
    locateFile: (f: string) => (f.endsWith('.wasm') ? wasm : f),
    print: () => {},
    printErr: () => {},
  });
  const enc = new mod.HTJ2KEncoder();
  enc
    .getDecodedBuffer({
      width: pixels.columns,
      height: pixels.rows,
      bitsPerSample: pixels.bitsStored,
      componentCount: 1,
      isSigned: pixels.signed,
      isUsingColorTransform: false,
    })
    .set(pixels.bytes);
  enc.setQuality(opts.lossless, opts.quantizationStep ?? 0);
  if (opts.rpcl) enc.setProgressionOrder(2); // LRCP 0, RLCP 1, RPCL 2, PCRL 3, CPRL 4
  enc.encode();
  return enc.getEncodedBuffer().slice();
}
