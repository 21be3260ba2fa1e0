import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  BASIC_PROFILE,
  deidentifyBytes,
  newDeidSession,
  remapUid,
  shiftDate,
  type DeidSession,
} from '../../src/core/deid';

interface Dcmjs {
  data: {
    DicomDict: new (meta: unknown) => { dict: unknown; write(): ArrayBuffer };
    DicomMessage: { readFile(b: ArrayBuffer): { dict: Record<string, { vr: string; Value?: unknown[] }> } };
    DicomMetaDictionary: { denaturalizeDataset(ds: Record<string, unknown>): unknown };
  };
}
const dcmjs = createRequire(import.meta.url)('dcmjs') as Dcmjs;

const SOP = '1.2.826.0.1.3680043.8.498.1';
const REF = '1.2.826.0.1.3680043.8.498.2';

/** A small CT-like instance with identifying attributes, private tags, nested references, overlay. */
function sample(): Uint8Array {
  const { DicomDict, DicomMetaDictionary } = dcmjs.data;
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: '1.2.840.10008.5.1.4.1.1.2',
    MediaStorageSOPInstanceUID: SOP,
    TransferSyntaxUID: '1.2.840.10008.1.2.1',
    ImplementationClassUID: '1.2.3.4',
  };
  const ds = {
    _vrMap: { PixelData: 'OW' },
    SOPClassUID: '1.2.840.10008.5.1.4.1.1.2',
    SOPInstanceUID: SOP,
    StudyDate: '20200131',
    SeriesDate: '20200131',
    AcquisitionDateTime: '20200131101500',
    StudyTime: '101500',
    PatientName: 'Doe^Jane',
    PatientID: 'MRN-12345',
    PatientBirthDate: '19600214',
    PatientSex: 'F',
    PatientAge: '060Y',
    InstitutionName: 'General Hospital',
    ReferringPhysicianName: 'House^Greg',
    OperatorsName: 'Tech^Tom',
    StudyDescription: 'CT CHEST Jane Doe',
    OtherPatientIDsSequence: [{ PatientID: 'OTHER-1' }],
    ReferencedImageSequence: [
      { ReferencedSOPClassUID: '1.2.840.10008.5.1.4.1.1.2', ReferencedSOPInstanceUID: REF },
    ],
    StudyInstanceUID: '1.2.826.0.1.3680043.8.498.10',
    SeriesInstanceUID: '1.2.826.0.1.3680043.8.498.11',
    FrameOfReferenceUID: '1.2.826.0.1.3680043.8.498.12',
    Modality: 'CT',
    Rows: 2,
    Columns: 2,
    BitsAllocated: 16,
    BitsStored: 16,
    HighBit: 15,
    PixelRepresentation: 0,
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    PixelData: new Uint16Array([1, 2, 3, 4]).buffer,
  };
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  const denat = DicomMetaDictionary.denaturalizeDataset(ds) as Record<string, unknown>;
  denat['00090010'] = { vr: 'LO', Value: ['ACME'] };
  denat['00091001'] = { vr: 'LO', Value: ['Jane Doe private'] };
  denat['60003000'] = { vr: 'OW', Value: [new Uint8Array(8).buffer] };
  denat['60004000'] = { vr: 'LT', Value: ['overlay by Dr X'] };
  denat['50000005'] = { vr: 'US', Value: [1] };
  dict.dict = denat;
  return new Uint8Array(dict.write());
}

function read(bytes: Uint8Array) {
  return dcmjs.data.DicomMessage.readFile(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
  ).dict;
}
const first = (el: { Value?: unknown[] } | undefined) => el?.Value?.[0];

describe('de-identification of one instance', () => {
  const session: DeidSession = newDeidSession('remove', { secret: new Uint8Array(32).fill(7) });

  it('removes or replaces identifying attributes, private tags and overlays; keeps pixels', () => {
    const out = read(deidentifyBytes(sample(), session, 'sample.dcm').bytes);
    const json = JSON.stringify(out);
    for (const secret of [
      'Doe',
      'MRN-12345',
      '19600214',
      'General Hospital',
      'House',
      'Tech^Tom',
      'OTHER-1',
      '060Y',
      'ACME',
      'Dr X',
      SOP,
      REF,
    ]) {
      expect(json, secret).not.toContain(secret);
    }
    expect(Object.keys(out).filter((t) => (Number.parseInt(t.slice(0, 4), 16) & 1) === 1)).toEqual([]);
    expect(out['60003000']).toBeUndefined();
    expect(out['50000005']).toBeUndefined();
    expect(out['00101002']).toBeUndefined(); // Other Patient IDs Sequence: X
    expect(first(out['00120062'])).toBe('YES');
    expect(first(out['00280303'])).toBe('REMOVED');
    const method = out['00120064']?.Value as Array<Record<string, { Value: unknown[] }>>;
    expect(method.map((m) => m['00080100']!.Value[0])).toEqual(['113100']);
    // UIDs: remapped, nested ones too, with the same mapping as remapUid.
    expect(first(out['00080018'])).toBe(remapUid(session, SOP));
    const ref = (out['00081140']?.Value as Array<Record<string, { Value: unknown[] }>>)[0]!;
    expect(ref['00081155']!.Value[0]).toBe(remapUid(session, REF));
    expect(ref['00081150']!.Value[0]).toBe('1.2.840.10008.5.1.4.1.1.2'); // a class UID is kept
    expect(new Uint16Array(out['7FE00010']!.Value![0] as ArrayBuffer)).toEqual(new Uint16Array([1, 2, 3, 4]));
    expect(first(out['00080020']) ?? '').toBe(''); // Study Date: Z
  });

  it('maps a UID the same way within a session and differently in the next', () => {
    const other = newDeidSession('remove');
    expect(remapUid(session, SOP)).toBe(remapUid(session, SOP));
    expect(remapUid(session, SOP)).not.toBe(remapUid(other, SOP));
    expect(remapUid(session, SOP)).toMatch(/^2\.25\.[1-9]\d{0,38}$/);
  });

  it('shifts dates by the session offset and records the option', () => {
    const shifted = newDeidSession('shift', { shiftDays: -400, secret: new Uint8Array(32) });
    const out = read(deidentifyBytes(sample(), shifted, 'sample.dcm').bytes);
    expect(first(out['00080020'])).toBe('20181227');
    expect(first(out['0008002A'])).toBe('20181227101500');
    expect(first(out['00100030']) ?? '').toBe(''); // birth date is never kept
    expect(first(out['00280303'])).toBe('MODIFIED');
    const codes = (out['00120064']?.Value as Array<Record<string, { Value: unknown[] }>>).map(
      (m) => m['00080100']!.Value[0],
    );
    expect(codes).toEqual(['113100', '113107']);
    const kept = read(deidentifyBytes(sample(), newDeidSession('keep'), 'sample.dcm').bytes);
    expect(first(kept['00080020'])).toBe('20200131');
    expect(first(kept['00280303'])).toBe('UNMODIFIED');
  });

  it('shiftDate handles leap years, month ends and partial DT values', () => {
    expect(shiftDate('DA', '20200301', -1)).toBe('20200229');
    expect(shiftDate('DA', '20191231', 1)).toBe('20200101');
    expect(shiftDate('DT', '20200131235959.123+0100', -31)).toBe('20191231235959.123+0100');
    expect(shiftDate('DT', '2020', -400)).toBe('2018');
    expect(shiftDate('DA', '', 10)).toBe('');
  });

  it('the profile table has one row per tag and well-formed tags', () => {
    const tags = BASIC_PROFILE.map((r) => r.tag);
    expect(new Set(tags).size).toBe(tags.length);
    for (const t of tags) expect(t).toMatch(/^[0-9A-F]{8}$/);
    expect(BASIC_PROFILE.length).toBeGreaterThan(250);
  });

  it('refuses bytes that are not DICOM with a typed error naming the file', () => {
    expect(() => deidentifyBytes(new Uint8Array(200), session, '/x/bad.dcm')).toThrow(
      expect.objectContaining({ code: 'DICOM_MALFORMED', path: '/x/bad.dcm' }),
    );
  });
});
