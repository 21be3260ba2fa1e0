/**
 * Writes a phantom as a DICOM CT series (one Explicit VR Little Endian file per slice) with
 * dcmjs. Every identifier is derived from the seed so a given seed always yields the same study,
 * and every descriptive field says SYNTHETIC so the study can never pass for a patient's.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { voxelToWorld } from '../../common/volume';
import type { Phantom } from './phantom';

const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';
/** Stored value = HU + 1024 (unsigned), as most CT scanners write it. */
const RESCALE_INTERCEPT = -1024;

interface DcmjsApi {
  data: {
    DicomDict: new (meta: unknown) => { dict: unknown; write(): ArrayBuffer };
    DicomMetaDictionary: { denaturalizeDataset(ds: Record<string, unknown>): unknown };
  };
}

// dcmjs ships no type declarations; this is the slice of its API used here.
const dcmjs = createRequire(import.meta.url)('dcmjs') as DcmjsApi;

/** A DICOM UID under the 2.25 root (UUID-derived) from a SHA-256 of the seed and a role. */
export function seededUid(seed: number, role: string): string {
  const h = createHash('sha256').update(`pulmolens-synthetic:${seed}:${role}`).digest();
  let n = 0n;
  for (let b = 0; b < 16; b++) n = (n << 8n) | BigInt(h[b]!);
  return `2.25.${n.toString()}`;
}

export interface SyntheticSeries {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  frameOfReferenceUid: string;
  /** One file per slice, slice k = 0 (most inferior) first. */
  files: { name: string; bytes: Uint8Array }[];
}

const ds = (n: number): string => {
  const s = Number(n.toFixed(6)).toString();
  return s.length <= 16 ? s : n.toPrecision(10);
};

export function phantomToDicom(phantom: Phantom): SyntheticSeries {
  const { volume: v, seed } = phantom;
  const [nx, ny, nz] = v.dims;
  const studyInstanceUid = seededUid(seed, 'study');
  const seriesInstanceUid = seededUid(seed, 'series');
  const frameOfReferenceUid = seededUid(seed, 'frame-of-reference');
  const files: SyntheticSeries['files'] = [];
  const plane = nx * ny;
  for (let k = 0; k < nz; k++) {
    const sopInstanceUid = seededUid(seed, `instance-${k}`);
    const pos = voxelToWorld(v, [0, 0, k]);
    const pixels = new Uint16Array(plane);
    for (let p = 0; p < plane; p++) pixels[p] = v.hu[k * plane + p]! - RESCALE_INTERCEPT;
    const dataset: Record<string, unknown> = {
      _meta: {},
      _vrMap: { PixelData: 'OW' },
      SpecificCharacterSet: 'ISO_IR 100',
      ImageType: ['DERIVED', 'SECONDARY', 'AXIAL'],
      SOPClassUID: CT_IMAGE_STORAGE,
      SOPInstanceUID: sopInstanceUid,
      StudyDate: '20000101',
      SeriesDate: '20000101',
      StudyTime: '120000',
      AccessionNumber: '',
      Modality: 'CT',
      Manufacturer: 'PulmoLens synthetic phantom',
      ManufacturerModelName: 'SYNTHETIC',
      ReferringPhysicianName: '',
      StudyDescription: 'SYNTHETIC chest CT phantom (not a patient)',
      SeriesDescription: `SYNTHETIC phantom seed ${seed}`,
      PatientName: 'SYNTHETIC^PHANTOM',
      PatientID: `SYNTH-${seed}`,
      PatientBirthDate: '',
      PatientSex: 'O',
      BodyPartExamined: 'CHEST',
      SliceThickness: ds(v.spacingMm[2]),
      SpacingBetweenSlices: ds(v.spacingMm[2]),
      KVP: '120',
      ConvolutionKernel: 'SYNTHETIC',
      PatientPosition: 'FFS',
      StudyInstanceUID: studyInstanceUid,
      SeriesInstanceUID: seriesInstanceUid,
      StudyID: '1',
      SeriesNumber: '1',
      InstanceNumber: String(nz - k),
      ImagePositionPatient: pos.map(ds),
      ImageOrientationPatient: [1, 0, 0, 0, 1, 0].map(ds),
      FrameOfReferenceUID: frameOfReferenceUid,
      PositionReferenceIndicator: '',
      SliceLocation: ds(pos[2]),
      SamplesPerPixel: 1,
      PhotometricInterpretation: 'MONOCHROME2',
      Rows: ny,
      Columns: nx,
      // PixelSpacing is row spacing (between rows, y) then column spacing (x).
      PixelSpacing: [ds(v.spacingMm[1]), ds(v.spacingMm[0])],
      BitsAllocated: 16,
      BitsStored: 16,
      HighBit: 15,
      PixelRepresentation: 0,
      WindowCenter: '-600',
      WindowWidth: '1500',
      RescaleIntercept: String(RESCALE_INTERCEPT),
      RescaleSlope: '1',
      RescaleType: 'HU',
      BurnedInAnnotation: 'NO',
      PixelData: pixels.buffer,
    };
    const meta = {
      FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
      MediaStorageSOPClassUID: CT_IMAGE_STORAGE,
      MediaStorageSOPInstanceUID: sopInstanceUid,
      TransferSyntaxUID: EXPLICIT_VR_LE,
      ImplementationClassUID: seededUid(0, 'pulmolens-implementation'),
      ImplementationVersionName: 'PULMOLENS_SYNTH',
    };
    const { DicomDict, DicomMetaDictionary } = dcmjs.data;
    const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
    dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
    files.push({ name: `slice-${String(k).padStart(4, '0')}.dcm`, bytes: new Uint8Array(dict.write()) });
  }
  return { studyInstanceUid, seriesInstanceUid, frameOfReferenceUid, files };
}

/** LUNA16 annotation rows (`seriesuid,coordX,coordY,coordZ,diameter_mm`) for the phantom's nodules. */
export function annotationsCsv(seriesInstanceUid: string, phantom: Phantom): string {
  const rows = phantom.nodules.map((n) =>
    [seriesInstanceUid, n.centerLps[0], n.centerLps[1], n.centerLps[2], n.diameterMm].join(','),
  );
  return ['seriesuid,coordX,coordY,coordZ,diameter_mm', ...rows].join('\n') + '\n';
}
