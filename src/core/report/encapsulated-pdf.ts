/**
 * The PDF report as a DICOM Encapsulated PDF (PS3.3 A.45.1), in the study of the SR it
 * accompanies, so a PACS files it with the CT. Patient and study attributes are copied from
 * the SR (one source of truth); the document gets its own series.
 */
import { dicomDateTime, newUid, readDicom, writeDicom } from './dcmjs-writer';
import { DEFAULT_SOFTWARE } from './report-input';

export const ENCAPSULATED_PDF_STORAGE = '1.2.840.10008.5.1.4.1.1.104.1';

const FROM_SR = [
  'SpecificCharacterSet',
  'PatientName',
  'PatientID',
  'PatientBirthDate',
  'PatientSex',
  'StudyInstanceUID',
  'StudyDate',
  'StudyTime',
  'StudyID',
  'AccessionNumber',
  'ReferringPhysicianName',
  'StudyDescription',
] as const;

export function buildEncapsulatedPdf(
  pdf: Uint8Array,
  sr: Uint8Array,
  now: Date = new Date(),
): { bytes: Uint8Array; sopInstanceUid: string } {
  if (pdf.length < 5 || new TextDecoder().decode(pdf.subarray(0, 5)) !== '%PDF-') {
    throw new Error('the report is not a PDF (no %PDF- header)');
  }
  const src = readDicom(sr);
  const { date, time } = dicomDateTime(now);
  const sopInstanceUid = newUid();
  // OB value of even length: a trailing NUL after %%EOF is allowed by A.45.1.
  const doc = new Uint8Array(pdf.length + (pdf.length % 2));
  doc.set(pdf);
  const ds: Record<string, unknown> & { SOPClassUID: string; SOPInstanceUID: string } = {
    _vrMap: { EncapsulatedDocument: 'OB' },
    SOPClassUID: ENCAPSULATED_PDF_STORAGE,
    SOPInstanceUID: sopInstanceUid,
    InstanceCreationDate: date,
    InstanceCreationTime: time,
    ContentDate: date,
    ContentTime: time,
    AcquisitionDateTime: `${date}${time}`,
    Modality: 'DOC',
    ConversionType: 'WSD',
    Manufacturer: DEFAULT_SOFTWARE.name,
    SoftwareVersions: DEFAULT_SOFTWARE.version,
    SeriesInstanceUID: newUid(),
    SeriesNumber: '9003',
    SeriesDescription: 'PulmoLens report (PDF, research use)',
    InstanceNumber: '1',
    BurnedInAnnotation: 'YES',
    DocumentTitle: 'PulmoLens lung nodule report',
    ConceptNameCodeSequence: [],
    MIMETypeOfEncapsulatedDocument: 'application/pdf',
    EncapsulatedDocument: [doc.buffer],
  };
  for (const k of FROM_SR) if (src[k] !== undefined) ds[k] = src[k];
  return { bytes: writeDicom(ds), sopInstanceUid };
}
