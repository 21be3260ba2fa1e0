import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import { describe, expect, it } from 'vitest';
import { deidentifyBytes, newDeidSession } from '../../src/core/deid';
import { missingData, sharedPath } from '../support/shared-data';

/** The pixel payload as stored: the value of uncompressed data, the fragments' bytes of encapsulated. */
function payload(bytes: Uint8Array): { ts: string; data: Buffer } {
  const ds = dicomParser.parseDicom(bytes);
  const el = ds.elements.x7fe00010!;
  const data = el.encapsulatedPixelData
    ? Buffer.concat(el.fragments!.map((f) => Buffer.from(bytes.subarray(f.position, f.position + f.length))))
    : Buffer.from(bytes.subarray(el.dataOffset, el.dataOffset + el.length));
  return { ts: ds.string('x00020010') ?? '', data };
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) return files(p);
    return /LICENSE|README/.test(e) ? [] : [p];
  });
}

const missing = missingData('dicom/wg04-ct', 'dicom/dicomparser');

describe.skipIf(missing)('de-identification across transfer syntaxes (WG04, dicomParser corpus)', () => {
  it('keeps the transfer syntax and the compressed or raw pixel bytes of every file', () => {
    const session = newDeidSession('remove');
    const all = [...files(sharedPath('dicom/wg04-ct')), ...files(sharedPath('dicom/dicomparser'))];
    const syntaxes = new Set<string>();
    let done = 0;
    for (const f of all) {
      const input = new Uint8Array(readFileSync(f));
      if (f.includes('/deflate/')) {
        expect(() => deidentifyBytes(input, session, f)).toThrow(
          expect.objectContaining({ code: 'DICOM_UNSUPPORTED_TRANSFER_SYNTAX', path: f }),
        );
        continue;
      }
      const out = deidentifyBytes(input, session, f).bytes;
      const [a, b] = [payload(input), payload(out)];
      expect(b.ts, f).toBe(a.ts);
      expect(b.data.equals(a.data), `pixel bytes of ${f}`).toBe(true);
      const ds = dicomParser.parseDicom(out);
      expect(ds.string('x00120062')).toBe('YES');
      expect(ds.string('x00100010')).toMatch(/^ANON-/);
      expect(ds.string('x00080018')).toMatch(/^2\.25\./);
      syntaxes.add(a.ts);
      done++;
    }
    expect(done).toBeGreaterThan(30);
    // Uncompressed (explicit, implicit, big endian), JPEG baseline/lossless, JPEG-LS, JPEG 2000, RLE.
    expect(syntaxes.size).toBeGreaterThanOrEqual(10);
  }, 120_000);
});
