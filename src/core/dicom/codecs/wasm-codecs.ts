/**
 * The Cornerstone WASM codec builds (CharLS, OpenJPEG, OpenJPH, libjpeg-turbo) loaded in Node.
 * Each module is instantiated once, lazily, and its decoder object reused: instantiation
 * costs milliseconds, decoding a CT slice far less.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface WasmFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
}

interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getFrameInfo(): WasmFrameInfo;
  getDecodedBuffer(): Uint8Array;
}

type Factory = (opts: {
  locateFile: (f: string) => string;
  print: (s: string) => void;
  printErr: (s: string) => void;
}) => Promise<Record<string, new () => WasmDecoder>>;

interface CodecSpec {
  pkg: string;
  js: string;
  wasm: string;
  decoderClass: string;
}

const SPECS = {
  charls: {
    pkg: '@cornerstonejs/codec-charls',
    js: 'decodewasmjs',
    wasm: 'decodewasm',
    decoderClass: 'JpegLSDecoder',
  },
  openjpeg: {
    pkg: '@cornerstonejs/codec-openjpeg',
    js: 'decodewasmjs',
    wasm: 'decodewasm',
    decoderClass: 'J2KDecoder',
  },
  openjph: {
    pkg: '@cornerstonejs/codec-openjph',
    js: 'wasmjs',
    wasm: 'wasm',
    decoderClass: 'HTJ2KDecoder',
  },
  libjpegTurbo: {
    pkg: '@cornerstonejs/codec-libjpeg-turbo-8bit',
    js: 'decodewasmjs',
    wasm: 'decodewasm',
    decoderClass: 'JPEGDecoder',
  },
} as const satisfies Record<string, CodecSpec>;

export type WasmCodecName = keyof typeof SPECS;

const decoders = new Map<WasmCodecName, Promise<WasmDecoder>>();

function loadDecoder(name: WasmCodecName): Promise<WasmDecoder> {
  let p = decoders.get(name);
  if (!p) {
    const spec = SPECS[name];
    const factory = require(`${spec.pkg}/${spec.js}`) as Factory;
    const wasmPath = require.resolve(`${spec.pkg}/${spec.wasm}`);
    // The codecs log progress ([INFO] ...) to stdout, which would corrupt `info --json`.
    p = factory({
      locateFile: (f) => (f.endsWith('.wasm') ? wasmPath : f),
      print: () => {},
      printErr: () => {},
    }).then((mod) => {
      const Cls = mod[spec.decoderClass];
      if (!Cls) throw new Error(`${spec.pkg} has no ${spec.decoderClass}`);
      return new Cls();
    });
    decoders.set(name, p);
  }
  return p;
}

/** Decodes one encoded frame; returns a copy of the decoded bytes (the WASM heap is reused). */
export async function decodeWithWasm(
  name: WasmCodecName,
  encoded: Uint8Array,
): Promise<{ info: WasmFrameInfo; bytes: Uint8Array }> {
  const decoder = await loadDecoder(name);
  decoder.getEncodedBuffer(encoded.length).set(encoded);
  decoder.decode();
  const info = decoder.getFrameInfo();
  const bytes = decoder.getDecodedBuffer().slice();
  return { info, bytes };
}
