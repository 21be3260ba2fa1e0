import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { stripForeignJpegSegments } from '../../src/core/dicom/codecs/jpeg-markers';
import { diffStats, loadOnly } from '../support/dicom-helpers';
import { withEncapsulatedFrame } from '../support/encapsulate';
import { cacheDir, missingData, sharedPath } from '../support/shared-data';

const JPLL = '1.2.840.10008.1.2.4.70';
const missing = missingData('dicom/wg04-ct/CT1_JPLL', 'dicom/wg04-ct/CT1_UNC');

function segment(marker: number, payload: number[]): number[] {
  return [0xff, marker, (payload.length + 2) >> 8, (payload.length + 2) & 0xff, ...payload];
}
const JFIF_APP0 = segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]);

/** The JPEG stream of a WG04 JPLL file (all fragments of its one frame). */
function jpllStream(name: string): Uint8Array {
  const file = new Uint8Array(readFileSync(sharedPath('dicom', 'wg04-ct', name)));
  const ds = dicomParser.parseDicom(file);
  const px = ds.elements['x7fe00010']!;
  return dicomParser.readEncapsulatedPixelDataFromFragments(ds, px, 0, px.fragments!.length);
}

/** Inserts `bytes` right after SOI (before everything else, the frame header included). */
function afterSoi(stream: Uint8Array, bytes: number[]): Uint8Array {
  const out = new Uint8Array(stream.length + bytes.length);
  out.set(stream.subarray(0, 2));
  out.set(bytes, 2);
  out.set(stream.subarray(2), 2 + bytes.length);
  return out;
}

describe.skipIf(missing)('JPEG lossless streams with extra marker segments before the frame header', () => {
  const dir = mkdtempSync(join((mkdirSync(cacheDir, { recursive: true }), cacheDir), 'jpll-markers-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Every segment kind T.81 allows between SOI and SOF, plus 0xFF fill bytes before a marker.
  const variants: Record<string, number[]> = {
    'APP0 (JFIF)': JFIF_APP0,
    'APP0 + APP1 + APP14 + COM': [
      ...JFIF_APP0,
      ...segment(0xe1, [...new TextEncoder().encode('Exif\0\0'), 1, 2, 3]),
      ...segment(0xee, [...new TextEncoder().encode('Adobe'), 0, 100, 0, 0, 0, 0, 0]),
      ...segment(0xfe, [...new TextEncoder().encode('PulmoLens test')]),
    ],
    'DQT + DRI 0': [...segment(0xdb, [0, ...new Array<number>(64).fill(1)]), ...segment(0xdd, [0, 0])],
    'JPG0 and EXP (reserved/extension segments)': [...segment(0xf0, [1, 2, 3, 4]), ...segment(0xdf, [0])],
    'fill bytes before APP0': [0xff, 0xff, ...JFIF_APP0],
  };

  for (const ct of ['CT1', 'CT2']) {
    for (const [label, extra] of Object.entries(variants)) {
      it(`${ct}_JPLL with ${label} decodes bit-exactly to ${ct}_UNC`, async () => {
        const src = new Uint8Array(readFileSync(sharedPath('dicom', 'wg04-ct', `${ct}_UNC`)));
        const path = join(dir, `${ct}-${label.replace(/\W+/g, '_')}.dcm`);
        writeFileSync(path, withEncapsulatedFrame(src, JPLL, afterSoi(jpllStream(`${ct}_JPLL`), extra), 3));
        const ref = await loadOnly(sharedPath('dicom', 'wg04-ct', `${ct}_UNC`));
        const got = await loadOnly(path);
        expect(got.skipped).toEqual([]);
        expect(got.series.transferSyntaxes).toEqual([JPLL]);
        expect(diffStats(ref.volume.hu, got.volume.hu).max).toBe(0);
      });
    }
  }

  it('leaves a stream with only decoder-known segments untouched (no copy)', () => {
    const s = jpllStream('CT1_JPLL');
    expect(stripForeignJpegSegments(s)).toBe(s);
    const withApp0 = afterSoi(s, JFIF_APP0);
    expect(Array.from(stripForeignJpegSegments(withApp0))).toEqual(Array.from(s));
  });

  it('names the reason for streams that are not JPEG or are cut in the header', () => {
    const s = jpllStream('CT1_JPLL');
    expect(() => stripForeignJpegSegments(s.subarray(2))).toThrow(/does not start with SOI/);
    expect(() => stripForeignJpegSegments(afterSoi(s, JFIF_APP0).subarray(0, 12))).toThrow(/past the end/);
    expect(() => stripForeignJpegSegments(Uint8Array.of(0xff, 0xd8, 0xff, 0xda, 0, 2))).toThrow(
      /before any frame header/,
    );
  });
});
