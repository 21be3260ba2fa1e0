import { inflateRawSync } from 'node:zlib';
import dicomParser, { type DataSet, type Element } from 'dicom-parser';
import { PulmoLensError } from '../../common/errors';
import type { Vec3 } from '../../common/volume';
import { isEncapsulated, transferSyntaxInfo, type Codec } from './transfer-syntax';
import type { SeriesMetadata } from './types';
import type { FrameInfo } from './codecs/codec-types';

/** Geometry and rescale of one frame (per-frame functional groups win over shared ones). */
export interface FrameHeader {
  positionLps: Vec3 | null;
  orientation: [number, number, number, number, number, number] | null;
  /** [row spacing, column spacing] as in PixelSpacing (0028,0030). */
  pixelSpacing: [number, number] | null;
  sliceThicknessMm: number | null;
  slope: number;
  intercept: number;
}

/** Everything the scanner and the loader need from one DICOM file. */
export interface InstanceHeader extends FrameInfo {
  path: string;
  sopInstanceUid: string;
  sopClassUid: string;
  instanceNumber: number | null;
  metadata: SeriesMetadata;
  transferSyntaxUid: string;
  codec: Codec;
  photometricInterpretation: string;
  paddingValue: number | null;
  paddingRangeLimit: number | null;
  frames: FrameHeader[];
  /**
   * Where the native pixel data lies in the file (uncompressed, not deflated, no preamble
   * restored), so a loader can read just those bytes; null otherwise.
   */
  pixelDataInFile: { offset: number; length: number } | null;
}

export interface ParsedInstance {
  header: InstanceHeader;
  dataSet: DataSet;
  pixelData: Element;
}

/** Decompressed deflate payload may not exceed this; a deflate bomb gets a typed error instead. */
const MAX_INFLATED_BYTES = 1024 * 1024 * 1024;
const MAX_FRAMES = 10_000;
const MAX_DIM = 16_384;

const DICOM_IMAGE_STORAGE_CLASSES_NOT_IMAGES = new Set([
  '1.2.840.10008.1.3.10', // Media Storage Directory (DICOMDIR)
]);

function fail(
  code:
    | 'DICOM_NOT_DICOM'
    | 'DICOM_MALFORMED'
    | 'DICOM_NO_IMAGE'
    | 'DICOM_PIXEL_ATTRIBUTES'
    | 'DICOM_UNSUPPORTED_TRANSFER_SYNTAX',
  path: string,
  reason: string,
  cause?: unknown,
): never {
  throw new PulmoLensError(code, reason, { path, cause });
}

function inflater(path: string) {
  return (byteArray: Uint8Array, position: number): Uint8Array => {
    let inflated: Buffer;
    try {
      inflated = inflateRawSync(byteArray.subarray(position), { maxOutputLength: MAX_INFLATED_BYTES });
    } catch (e) {
      fail('DICOM_MALFORMED', path, `deflated data set cannot be inflated: ${(e as Error).message}`, e);
    }
    const full = new Uint8Array(position + inflated.length);
    full.set(byteArray.subarray(0, position), 0);
    full.set(inflated, position);
    return full;
  };
}

function hasPart10Prefix(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 132 &&
    bytes[128] === 0x44 &&
    bytes[129] === 0x49 &&
    bytes[130] === 0x43 &&
    bytes[131] === 0x4d
  );
}

const isVrLetters = (a: number | undefined, b: number | undefined): boolean =>
  a !== undefined && b !== undefined && a >= 0x41 && a <= 0x5a && b >= 0x41 && b <= 0x5a;

/**
 * A file without the 128-byte preamble and "DICM" (older exports, some PACS) is accepted only when
 * it plainly starts with a DICOM group 0x0002 or 0x0008 element; the first element tells the
 * encoding. Anything else is not DICOM.
 */
function rawDataSetSyntax(bytes: Uint8Array): 'meta' | string | null {
  if (bytes.length < 8) return null;
  const [b0, b1, , , v0, v1] = bytes;
  if (b0 === 0x02 && b1 === 0x00) return 'meta';
  if (b0 === 0x08 && b1 === 0x00) return isVrLetters(v0, v1) ? '1.2.840.10008.1.2.1' : '1.2.840.10008.1.2';
  if (b0 === 0x00 && b1 === 0x08 && isVrLetters(v0, v1)) return '1.2.840.10008.1.2.2';
  return null;
}

/** dicom-parser throws strings or `{ exception }` objects as well as Errors. */
function parserMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  if (e && typeof e === 'object' && 'exception' in e) return String((e as { exception: unknown }).exception);
  return 'unknown parser error';
}

export function parseDataSet(bytes: Uint8Array, path: string, untilPixelData = false): DataSet {
  const until = untilPixelData ? { untilTag: 'x7fe00010' } : {};
  try {
    if (hasPart10Prefix(bytes)) {
      return dicomParser.parseDicom(bytes, { inflater: inflater(path), ...until } as never);
    }
    const raw = rawDataSetSyntax(bytes);
    if (raw === 'meta') {
      // File meta without the preamble: restore preamble + "DICM" so the normal path applies.
      const withPreamble = new Uint8Array(132 + bytes.length);
      withPreamble.set([0x44, 0x49, 0x43, 0x4d], 128);
      withPreamble.set(bytes, 132);
      return dicomParser.parseDicom(withPreamble, { inflater: inflater(path), ...until } as never);
    }
    if (raw) return dicomParser.parseDicom(bytes, { TransferSyntaxUID: raw, ...until } as never);
  } catch (e) {
    if (e instanceof PulmoLensError) throw e;
    fail(
      'DICOM_MALFORMED',
      path,
      `cannot parse DICOM: ${parserMessage(e).replace(/^dicomParser\.\w+: /, '')}`,
      e,
    );
  }
  fail(
    'DICOM_NOT_DICOM',
    path,
    'not a DICOM file (no "DICM" prefix at byte 128 and no recognisable data set)',
  );
}

const str = (ds: DataSet, tag: string): string => {
  try {
    return (ds.string(tag) ?? '').trim();
  } catch {
    return '';
  }
};

const num = (ds: DataSet, tag: string, index = 0): number | null => {
  try {
    const s = ds.string(tag, index);
    if (s === undefined || s.trim() === '') return null;
    const v = Number(s);
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
};

function numbers(ds: DataSet | undefined, tag: string, count: number): number[] | null {
  if (!ds?.elements[tag]) return null;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const v = num(ds, tag, i);
    if (v === null) return null;
    out.push(v);
  }
  return out;
}

function us(ds: DataSet, tag: string): number | null {
  const el = ds.elements[tag];
  if (!el || el.length < 2) return null;
  try {
    return ds.uint16(tag) ?? null;
  } catch {
    return null;
  }
}

/** Padding value is US or SS depending on PixelRepresentation. */
function paddingValue(ds: DataSet, tag: string, signed: boolean): number | null {
  const el = ds.elements[tag];
  if (!el || el.length < 2) return null;
  try {
    return (signed ? ds.int16(tag) : ds.uint16(tag)) ?? null;
  } catch {
    return null;
  }
}

function firstItem(ds: DataSet | undefined, tag: string): DataSet | undefined {
  return ds?.elements[tag]?.items?.[0]?.dataSet;
}

function readMetadata(ds: DataSet): SeriesMetadata {
  const intOrNull = (tag: string): number | null => {
    const v = num(ds, tag);
    return v === null ? null : Math.trunc(v);
  };
  return {
    patientName: str(ds, 'x00100010'),
    patientId: str(ds, 'x00100020'),
    patientBirthDate: str(ds, 'x00100030'),
    patientSex: str(ds, 'x00100040'),
    patientAge: str(ds, 'x00101010'),
    studyInstanceUid: str(ds, 'x0020000d'),
    studyDate: str(ds, 'x00080020'),
    studyTime: str(ds, 'x00080030'),
    studyDescription: str(ds, 'x00081030'),
    accessionNumber: str(ds, 'x00080050'),
    seriesInstanceUid: str(ds, 'x0020000e'),
    seriesNumber: intOrNull('x00200011'),
    seriesDescription: str(ds, 'x0008103e'),
    seriesDate: str(ds, 'x00080021'),
    modality: str(ds, 'x00080060'),
    manufacturer: str(ds, 'x00080070'),
    manufacturerModelName: str(ds, 'x00081090'),
    institutionName: str(ds, 'x00080080'),
    convolutionKernel: str(ds, 'x00181210'),
    sliceThicknessMm: num(ds, 'x00180050'),
    kvp: num(ds, 'x00180060'),
    frameOfReferenceUid: str(ds, 'x00200052'),
    bodyPartExamined: str(ds, 'x00180015'),
  };
}

function frameHeader(ds: DataSet, shared: DataSet | undefined, perFrame: DataSet | undefined): FrameHeader {
  // Functional-group macros: per-frame item first, then shared item, then the top-level attribute.
  const pick = (seqTag: string, tag: string, count: number): number[] | null =>
    numbers(firstItem(perFrame, seqTag), tag, count) ??
    numbers(firstItem(shared, seqTag), tag, count) ??
    numbers(ds, tag, count);
  const pos = pick('x00209113', 'x00200032', 3);
  const ori = pick('x00209116', 'x00200037', 6);
  const spacing = pick('x00289110', 'x00280030', 2);
  const thick = pick('x00289110', 'x00180050', 1);
  const intercept = pick('x00289145', 'x00281052', 1);
  const slope = pick('x00289145', 'x00281053', 1);
  return {
    positionLps: pos ? [pos[0]!, pos[1]!, pos[2]!] : null,
    orientation: ori ? [ori[0]!, ori[1]!, ori[2]!, ori[3]!, ori[4]!, ori[5]!] : null,
    pixelSpacing: spacing ? [spacing[0]!, spacing[1]!] : null,
    sliceThicknessMm: thick ? thick[0]! : null,
    slope: slope && slope[0] !== 0 ? slope[0]! : 1,
    intercept: intercept ? intercept[0]! : 0,
  };
}

/**
 * Parses one file's bytes into a validated header; throws a PulmoLensError naming the file.
 * With `headerOf` (the whole file's size), `bytes` may be only the file's beginning: parsing stops
 * at Pixel Data, whose extent is checked against the file size instead of the buffer.
 */
export function parseInstance(
  bytes: Uint8Array,
  path: string,
  headerOf?: { fileSize: number },
): ParsedInstance {
  const ds = parseDataSet(bytes, path, headerOf !== undefined);
  const sopClassUid = str(ds, 'x00080016');
  if (DICOM_IMAGE_STORAGE_CLASSES_NOT_IMAGES.has(sopClassUid) || ds.elements['x00041220']) {
    fail('DICOM_NO_IMAGE', path, 'DICOMDIR (a media directory, not an image); import it as a DICOMDIR');
  }
  const pixelData = ds.elements['x7fe00010'];
  if (!pixelData) {
    fail(
      'DICOM_NO_IMAGE',
      path,
      `no Pixel Data (7FE0,0010)${sopClassUid ? `; SOP class ${sopClassUid}` : ''}`,
    );
  }
  const raw = hasPart10Prefix(bytes) ? null : rawDataSetSyntax(bytes);
  const tsUid = str(ds, 'x00020010') || (raw && raw !== 'meta' ? raw : '');
  const ts = transferSyntaxInfo(tsUid);
  if (!ts) {
    fail(
      'DICOM_UNSUPPORTED_TRANSFER_SYNTAX',
      path,
      `transfer syntax "${tsUid || '(missing)'}" is not one a CT can be decoded from`,
    );
  }
  const rows = us(ds, 'x00280010');
  const columns = us(ds, 'x00280011');
  const bitsAllocated = us(ds, 'x00280100');
  const bitsStored = us(ds, 'x00280101') ?? bitsAllocated;
  const pixelRepresentation = us(ds, 'x00280103') ?? 0;
  const samplesPerPixel = us(ds, 'x00280002') ?? 1;
  if (!rows || !columns || rows > MAX_DIM || columns > MAX_DIM) {
    fail(
      'DICOM_PIXEL_ATTRIBUTES',
      path,
      `invalid image size Rows=${rows ?? 'missing'} Columns=${columns ?? 'missing'}`,
    );
  }
  if (bitsAllocated !== 8 && bitsAllocated !== 16) {
    fail('DICOM_PIXEL_ATTRIBUTES', path, `BitsAllocated=${bitsAllocated ?? 'missing'}; CT needs 8 or 16`);
  }
  if (!bitsStored || bitsStored > bitsAllocated) {
    fail(
      'DICOM_PIXEL_ATTRIBUTES',
      path,
      `BitsStored=${bitsStored ?? 'missing'} exceeds BitsAllocated=${bitsAllocated}`,
    );
  }
  if (pixelRepresentation !== 0 && pixelRepresentation !== 1) {
    fail('DICOM_PIXEL_ATTRIBUTES', path, `PixelRepresentation=${pixelRepresentation}; must be 0 or 1`);
  }
  const photometric = str(ds, 'x00280004') || 'MONOCHROME2';
  if (samplesPerPixel !== 1 || !photometric.startsWith('MONOCHROME')) {
    fail(
      'DICOM_PIXEL_ATTRIBUTES',
      path,
      `${photometric} with ${samplesPerPixel} samples per pixel is not a CT image`,
    );
  }
  const nFramesRaw = num(ds, 'x00280008');
  const numberOfFrames = nFramesRaw === null ? 1 : Math.trunc(nFramesRaw);
  if (numberOfFrames < 1 || numberOfFrames > MAX_FRAMES) {
    fail('DICOM_PIXEL_ATTRIBUTES', path, `NumberOfFrames=${nFramesRaw} is out of range`);
  }
  const frameBytes = rows * columns * (bitsAllocated / 8);
  const encapsulated = headerOf ? isEncapsulated(ts.codec) : pixelData.encapsulatedPixelData === true;
  // The data set's bytes equal the file's only when nothing was inflated or prepended.
  const sameBytesAsFile = ts.codec !== 'deflate' && (ds.byteArray as Uint8Array) === bytes;
  if (!encapsulated) {
    // Uncompressed: the element must really hold every frame it claims (a lying header must not
    // make us read past the buffer or allocate for data that is not there).
    const end = headerOf && sameBytesAsFile ? headerOf.fileSize : ds.byteArray.length;
    const available = Math.min(pixelData.length, end - pixelData.dataOffset);
    if (available < frameBytes * numberOfFrames) {
      fail(
        'DICOM_PIXEL_ATTRIBUTES',
        path,
        `Pixel Data holds ${Math.max(0, available)} bytes but ${numberOfFrames} frame(s) of ${rows}x${columns}x${bitsAllocated} bits need ${frameBytes * numberOfFrames}`,
      );
    }
  } else if (!headerOf && (!pixelData.fragments || pixelData.fragments.length === 0)) {
    fail('DICOM_PIXEL_ATTRIBUTES', path, 'encapsulated Pixel Data has no fragments');
  }

  const shared = firstItem(ds, 'x52009229');
  const perFrameItems = ds.elements['x52009230']?.items;
  const frames: FrameHeader[] = [];
  for (let f = 0; f < numberOfFrames; f++) {
    frames.push(frameHeader(ds, shared, perFrameItems?.[f]?.dataSet));
  }
  const signed = pixelRepresentation === 1;
  const inst = num(ds, 'x00200013');
  return {
    dataSet: ds,
    pixelData,
    header: {
      path,
      sopInstanceUid: str(ds, 'x00080018'),
      sopClassUid,
      instanceNumber: inst === null ? null : Math.trunc(inst),
      metadata: readMetadata(ds),
      transferSyntaxUid: tsUid,
      codec: ts.codec,
      rows,
      columns,
      bitsAllocated,
      bitsStored,
      pixelRepresentation: pixelRepresentation as 0 | 1,
      samplesPerPixel,
      photometricInterpretation: photometric,
      paddingValue: paddingValue(ds, 'x00280120', signed),
      paddingRangeLimit: paddingValue(ds, 'x00280121', signed),
      frames,
      pixelDataInFile:
        !encapsulated && sameBytesAsFile && (ts.codec === 'native-le' || ts.codec === 'native-be')
          ? { offset: pixelData.dataOffset, length: frameBytes * numberOfFrames }
          : null,
    },
  };
}

/** The bytes of one frame: a native slice, or the frame's fragments joined (encapsulated). */
export function frameBytes(p: ParsedInstance, frame: number): Uint8Array {
  const { dataSet, pixelData, header } = p;
  const bytes = dataSet.byteArray as Uint8Array;
  if (!pixelData.encapsulatedPixelData) {
    const size = header.rows * header.columns * (header.bitsAllocated / 8);
    const start = pixelData.dataOffset + frame * size;
    return bytes.subarray(start, start + size);
  }
  const fragments = pixelData.fragments ?? [];
  const nFrames = header.frames.length;
  if (nFrames === 1) {
    return dicomParser.readEncapsulatedPixelDataFromFragments(
      dataSet,
      pixelData,
      0,
      fragments.length,
    ) as Uint8Array;
  }
  if ((pixelData.basicOffsetTable?.length ?? 0) === 0 && fragments.length === nFrames) {
    return dicomParser.readEncapsulatedPixelDataFromFragments(dataSet, pixelData, frame, 1) as Uint8Array;
  }
  let bot = pixelData.basicOffsetTable;
  if (!bot || bot.length === 0) {
    // No offset table and fragments != frames: every JPEG-family codestream ends with an
    // FFD9 marker (EOI / EOC), which lets dicom-parser rebuild the table.
    bot = dicomParser.createJPEGBasicOffsetTable(dataSet, pixelData);
  }
  return dicomParser.readEncapsulatedImageFrame(dataSet, pixelData, frame, bot) as Uint8Array;
}
