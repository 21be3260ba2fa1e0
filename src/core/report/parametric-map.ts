/**
 * The overlaid U-Net heatmap (heatmapModel: the fusion detector's where the models have one) as a
 * DICOM Parametric Map on the series' own grid: one frame per volume
 * slice, the same Frame of Reference, per-frame Image Position (Patient) from the volume geometry,
 * the series' orientation and pixel spacing. Stored values are the heatmap's 0..255; the Real World
 * Value Mapping turns them into probability 0..1 (slope 1/255), so a viewer shows probabilities.
 */
import type { Heatmap } from '../inference/pipeline';
import { PulmoLensError } from '../../common/errors';
import { heatmapModel } from '../../common/findings/findings-document';
import { voxelToWorld } from '../../common/volume';
import { dicomDateTime, ds, newUid, writeDicom } from './dcmjs-writer';
import { CT_IMAGE_STORAGE, DEFAULT_SOFTWARE, type ReportInput } from './report-input';

export const PARAMETRIC_MAP_STORAGE = '1.2.840.10008.5.1.4.1.1.30';
const LOCAL_SCHEME = '99PULMOLENS';
const IMAGE_POSITION_PATIENT = 0x00200032;
const PLANE_POSITION_SEQUENCE = 0x00209113;

export interface PmapResult {
  bytes: Uint8Array;
  sopInstanceUid: string;
}

export function buildParametricMap(
  input: Pick<ReportInput, 'metadata' | 'frames' | 'sopClassUid' | 'document' | 'createdAt' | 'software'>,
  heatmap: Heatmap,
): PmapResult {
  const [nx, ny, nz] = heatmap.dims;
  if (heatmap.data.length !== nx * ny * nz) {
    throw new PulmoLensError(
      'INVALID_INPUT',
      `heatmap holds ${heatmap.data.length} values for ${nx}x${ny}x${nz}`,
    );
  }
  const md = input.metadata;
  const shown = heatmapModel(input.document);
  const { date, time } = dicomDateTime(input.createdAt ?? new Date());
  const sopInstanceUid = newUid();
  const dimensionUid = newUid();
  const software = input.software ?? DEFAULT_SOFTWARE;
  const sopClassUid = input.sopClassUid ?? CT_IMAGE_STORAGE;
  const d = heatmap.direction;
  const bySlot = new Map(input.frames.map((f) => [f.slot, f]));

  const pixels = new Uint16Array(nx * ny * nz);
  for (let v = 0; v < pixels.length; v++) pixels[v] = heatmap.data[v]!;

  const perFrame = [];
  for (let k = 0; k < nz; k++) {
    const src = bySlot.get(k);
    perFrame.push({
      FrameContentSequence: [{ DimensionIndexValues: [k + 1] }],
      PlanePositionSequence: [{ ImagePositionPatient: voxelToWorld(heatmap, [0, 0, k]).map(ds) }],
      ...(src
        ? {
            DerivationImageSequence: [
              {
                SourceImageSequence: [
                  {
                    ReferencedSOPClassUID: sopClassUid,
                    ReferencedSOPInstanceUID: src.sopInstanceUid,
                    ...(src.frame > 0 ? { ReferencedFrameNumber: [src.frame] } : {}),
                    PurposeOfReferenceCodeSequence: [
                      {
                        CodeValue: '121322',
                        CodingSchemeDesignator: 'DCM',
                        CodeMeaning: 'Source image for image processing operation',
                      },
                    ],
                  },
                ],
                DerivationCodeSequence: [
                  { CodeValue: '110001', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Image Processing' },
                ],
              },
            ],
          }
        : {}),
    });
  }

  const probabilityCode = {
    CodeValue: 'PNOD',
    CodingSchemeDesignator: LOCAL_SCHEME,
    CodeMeaning: 'Nodule probability',
  };
  const dataset = {
    _vrMap: { PixelData: 'OW' },
    SpecificCharacterSet: 'ISO_IR 192',
    ImageType: ['DERIVED', 'PRIMARY'],
    SOPClassUID: PARAMETRIC_MAP_STORAGE,
    SOPInstanceUID: sopInstanceUid,
    InstanceCreationDate: date,
    InstanceCreationTime: time,
    StudyDate: md.studyDate,
    StudyTime: md.studyTime,
    SeriesDate: date,
    SeriesTime: time,
    ContentDate: date,
    ContentTime: time,
    AccessionNumber: md.accessionNumber,
    Modality: 'OT',
    Manufacturer: software.name,
    ManufacturerModelName: `${shown.name} ${shown.version}`.slice(0, 64),
    DeviceSerialNumber: shown.sha256.slice(0, 64),
    SoftwareVersions: software.version,
    ReferringPhysicianName: '',
    StudyDescription: md.studyDescription,
    SeriesDescription: 'PulmoLens nodule probability (research use)',
    PatientName: md.patientName,
    PatientID: md.patientId,
    PatientBirthDate: md.patientBirthDate,
    PatientSex: md.patientSex,
    StudyInstanceUID: md.studyInstanceUid,
    SeriesInstanceUID: newUid(),
    StudyID: '',
    SeriesNumber: '9002',
    InstanceNumber: '1',
    FrameOfReferenceUID: md.frameOfReferenceUid,
    PositionReferenceIndicator: '',
    ContentLabel: 'NODULE_PROB',
    ContentDescription: 'Detector nodule probability',
    ContentCreatorName: '',
    ContentQualification: 'RESEARCH',
    CodingSchemeIdentificationSequence: [
      { CodingSchemeDesignator: LOCAL_SCHEME, CodingSchemeName: 'PulmoLens local codes' },
    ],
    ReferencedSeriesSequence: [
      {
        SeriesInstanceUID: md.seriesInstanceUid,
        ReferencedInstanceSequence: [...new Set(input.frames.map((f) => f.sopInstanceUid))].map((uid) => ({
          ReferencedSOPClassUID: sopClassUid,
          ReferencedSOPInstanceUID: uid,
        })),
      },
    ],
    AcquisitionContextSequence: [],
    DimensionOrganizationType: '3D',
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: dimensionUid }],
    DimensionIndexSequence: [
      {
        DimensionOrganizationUID: dimensionUid,
        DimensionIndexPointer: IMAGE_POSITION_PATIENT,
        FunctionalGroupPointer: PLANE_POSITION_SEQUENCE,
        DimensionDescriptionLabel: 'Image Position (Patient)',
      },
    ],
    SharedFunctionalGroupsSequence: [
      {
        PixelMeasuresSequence: [
          {
            PixelSpacing: [ds(heatmap.spacingMm[1]), ds(heatmap.spacingMm[0])],
            SliceThickness: ds(md.sliceThicknessMm ?? heatmap.spacingMm[2]),
            SpacingBetweenSlices: ds(heatmap.spacingMm[2]),
          },
        ],
        PlaneOrientationSequence: [{ ImageOrientationPatient: [d[0], d[1], d[2], d[3], d[4], d[5]].map(ds) }],
        FrameAnatomySequence: [
          {
            AnatomicRegionSequence: [
              { CodeValue: '39607008', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Lung' },
            ],
            FrameLaterality: 'B',
          },
        ],
        ParametricMapFrameTypeSequence: [{ FrameType: ['DERIVED', 'PRIMARY', 'VOLUME', 'NONE'] }],
        RealWorldValueMappingSequence: [
          {
            _vrMap: { RealWorldValueFirstValueMapped: 'US', RealWorldValueLastValueMapped: 'US' },
            RealWorldValueFirstValueMapped: 0,
            RealWorldValueLastValueMapped: 255,
            RealWorldValueIntercept: 0,
            RealWorldValueSlope: 1 / 255,
            LUTExplanation: 'Nodule probability 0..1',
            LUTLabel: 'PROB',
            MeasurementUnitsCodeSequence: [
              { CodeValue: '1', CodingSchemeDesignator: 'UCUM', CodeMeaning: 'no units' },
            ],
            QuantityDefinitionSequence: [
              {
                ValueType: 'CODE',
                ConceptNameCodeSequence: [
                  { CodeValue: '246205007', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Quantity' },
                ],
                ConceptCodeSequence: [probabilityCode],
              },
            ],
          },
        ],
      },
    ],
    PerFrameFunctionalGroupsSequence: perFrame,
    NumberOfFrames: nz,
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: ny,
    Columns: nx,
    BitsAllocated: 16,
    BitsStored: 16,
    HighBit: 15,
    PixelRepresentation: 0,
    PresentationLUTShape: 'IDENTITY',
    LossyImageCompression: '00',
    BurnedInAnnotation: 'NO',
    RecognizableVisualFeatures: 'NO',
    PixelData: pixels.buffer,
  };
  return { bytes: writeDicom(dataset), sopInstanceUid };
}
