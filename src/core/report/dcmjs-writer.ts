/** Writes a naturalized dataset (dcmjs keywords) as a DICOM Part 10 file, Explicit VR Little Endian. */
import { createRequire } from 'node:module';

type Naturalized = Record<string, unknown>;
interface DcmjsDict {
  dict: unknown;
  meta: unknown;
  write(options?: Record<string, unknown>): ArrayBuffer;
}
interface DcmjsApi {
  data: {
    DicomDict: new (meta: unknown) => DcmjsDict;
    DicomMessage: { readFile(buffer: ArrayBuffer, options?: Record<string, unknown>): DcmjsDict };
    DicomMetaDictionary: {
      denaturalizeDataset(ds: Naturalized): unknown;
      naturalizeDataset(ds: unknown): Naturalized;
      uid(): string;
    };
  };
}
// dcmjs ships no type declarations; this is the slice of its API used here.
export const dcmjs = createRequire(import.meta.url)('dcmjs') as DcmjsApi;

export const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';
/** PulmoLens implementation UID (2.25 form, fixed). */
export const IMPLEMENTATION_CLASS_UID = '2.25.187346017924873618094728351265723901457';

export function newUid(): string {
  return dcmjs.data.DicomMetaDictionary.uid();
}

export function writeDicom(
  dataset: Naturalized & { SOPClassUID: string; SOPInstanceUID: string },
): Uint8Array {
  const { DicomDict, DicomMetaDictionary } = dcmjs.data;
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: dataset.SOPClassUID,
    MediaStorageSOPInstanceUID: dataset.SOPInstanceUID,
    TransferSyntaxUID: EXPLICIT_VR_LE,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: 'PULMOLENS',
  };
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return new Uint8Array(dict.write());
}

/** Reads a Part 10 file back into a naturalized dataset. */
export function readDicom(bytes: Uint8Array): Naturalized {
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const file = dcmjs.data.DicomMessage.readFile(buf);
  return dcmjs.data.DicomMetaDictionary.naturalizeDataset(file.dict);
}

/** DICOM DA and TM of a date (UTC). */
export function dicomDateTime(d: Date): { date: string; time: string } {
  const iso = d.toISOString();
  return { date: iso.slice(0, 10).replace(/-/g, ''), time: iso.slice(11, 19).replace(/:/g, '') };
}

/** A DS value within 16 characters. */
export function ds(n: number): string {
  const s = Number(n.toFixed(6)).toString();
  return s.length <= 16 ? s : n.toPrecision(10);
}
