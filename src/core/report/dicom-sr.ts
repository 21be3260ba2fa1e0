/**
 * The findings as a DICOM Comprehensive 3D SR following TID 1500 (Measurement Report): an image
 * library of the slices that hold the reported findings, and one TID 1410 measurement group per
 * finding with long axis, short axis, mean diameter and volume (mm, mm3), the finding and its site,
 * the nodule type, Lung-RADS category and malignancy risk, and the centre as a SCOORD3D POINT in
 * the series' frame of reference. Comprehensive 3D SR is the storage class that allows SCOORD3D.
 */
import type { Finding } from '../../common/findings/findings-document';
import type { ReviewedFinding } from '../../common/review/review';
import { imageNumberLabel, instanceNumbersBySlot } from '../../common/image-number';
import { dicomDateTime, ds, newUid, writeDicom } from './dcmjs-writer';
import { readerMeasurementGroup } from './reader-measurements-sr';
import {
  DEFAULT_SOFTWARE,
  CT_IMAGE_STORAGE,
  DISCLAIMER,
  framesOfFinding,
  type ReportContent,
  type ReportInput,
} from './report-input';

export const COMPREHENSIVE_3D_SR_STORAGE = '1.2.840.10008.5.1.4.1.1.88.34';
const LOCAL_SCHEME = '99PULMOLENS';

interface Code {
  CodeValue: string;
  CodingSchemeDesignator: string;
  CodeMeaning: string;
}
const code = (CodeValue: string, CodingSchemeDesignator: string, CodeMeaning: string): Code => ({
  CodeValue,
  CodingSchemeDesignator,
  CodeMeaning,
});

export const SR_CODES = {
  report: code('126000', 'DCM', 'Imaging Measurement Report'),
  language: code('121049', 'DCM', 'Language of Content Item and Descendants'),
  english: code('en-US', 'RFC5646', 'English (United States)'),
  observerType: code('121005', 'DCM', 'Observer Type'),
  person: code('121006', 'DCM', 'Person'),
  device: code('121007', 'DCM', 'Device'),
  personName: code('121008', 'DCM', 'Person Observer Name'),
  deviceUid: code('121012', 'DCM', 'Device Observer UID'),
  deviceName: code('121013', 'DCM', 'Device Observer Name'),
  deviceModel: code('121015', 'DCM', 'Device Observer Model Name'),
  procedure: code('121058', 'DCM', 'Procedure reported'),
  chestCt: code('169069000', 'SCT', 'Computed tomography of chest'),
  imageLibrary: code('111028', 'DCM', 'Image Library'),
  imageLibraryGroup: code('126200', 'DCM', 'Image Library Group'),
  measurements: code('126010', 'DCM', 'Imaging Measurements'),
  group: code('125007', 'DCM', 'Measurement Group'),
  trackingId: code('112039', 'DCM', 'Tracking Identifier'),
  trackingUid: code('112040', 'DCM', 'Tracking Unique Identifier'),
  finding: code('121071', 'DCM', 'Finding'),
  nodule: code('27925004', 'SCT', 'Nodule'),
  findingSite: code('363698007', 'SCT', 'Finding Site'),
  lung: code('39607008', 'SCT', 'Lung'),
  algorithmName: code('111001', 'DCM', 'Algorithm Name'),
  algorithmVersion: code('111003', 'DCM', 'Algorithm Version'),
  imageRegion: code('111030', 'DCM', 'Image Region'),
  longAxis: code('103339001', 'SCT', 'Long Axis'),
  shortAxis: code('103340004', 'SCT', 'Short Axis'),
  diameter: code('81827009', 'SCT', 'Diameter'),
  volume: code('118565006', 'SCT', 'Volume'),
  mm: code('mm', 'UCUM', 'millimeter'),
  mm3: code('mm3', 'UCUM', 'cubic millimeter'),
  percent: code('%', 'UCUM', 'percent'),
  noduleType: code('NT', LOCAL_SCHEME, 'Nodule type'),
  lungRads: code('LR', LOCAL_SCHEME, 'Lung-RADS v2022 category'),
  malignancy: code('BROCK', LOCAL_SCHEME, 'Brock malignancy probability'),
  reviewStatus: code('RS', LOCAL_SCHEME, 'Review status'),
  imageNumber: code('IMG', LOCAL_SCHEME, 'Image number (DICOM Instance Number)'),
  sourceOfMeasurement: code('121112', 'DCM', 'Source of Measurement'),
  comment: code('121106', 'DCM', 'Comment'),
} as const;

const NODULE_TYPES: Record<Finding['type'], Code> = {
  solid: code('solid', LOCAL_SCHEME, 'Solid'),
  'part-solid': code('part-solid', LOCAL_SCHEME, 'Part-solid'),
  'ground-glass': code('ground-glass', LOCAL_SCHEME, 'Ground-glass'),
};

type Item = Record<string, unknown>;

const item = (rel: string, valueType: string, concept: Code, value: Item = {}): Item => ({
  RelationshipType: rel,
  ValueType: valueType,
  ConceptNameCodeSequence: [concept],
  ...value,
});
const codeItem = (rel: string, concept: Code, v: Code) =>
  item(rel, 'CODE', concept, { ConceptCodeSequence: [v] });
const textItem = (rel: string, concept: Code, v: string) => item(rel, 'TEXT', concept, { TextValue: v });
const numItem = (concept: Code, value: number, unit: Code) =>
  item('CONTAINS', 'NUM', concept, {
    MeasuredValueSequence: [{ MeasurementUnitsCodeSequence: [unit], NumericValue: ds(value) }],
  });
const container = (rel: string, concept: Code, children: Item[], extra: Item = {}) =>
  item(rel, 'CONTAINER', concept, { ContinuityOfContent: 'SEPARATE', ContentSequence: children, ...extra });

/** A DICOM PN from a free-text reviewer name: "Family^Given" stays, anything else goes in family. */
function personName(name: string): string {
  const clean = name.replace(/[\\\r\n]/g, ' ').trim();
  return clean.slice(0, 64) || 'UNKNOWN';
}

function measurementGroup(input: ReportInput, r: ReviewedFinding, uid: string): Item {
  const f = r.finding;
  const children: Item[] = [
    textItem('HAS OBS CONTEXT', SR_CODES.trackingId, f.id),
    item('HAS OBS CONTEXT', 'UIDREF', SR_CODES.trackingUid, { UID: uid }),
    codeItem('HAS CONCEPT MOD', SR_CODES.finding, SR_CODES.nodule),
    codeItem('HAS CONCEPT MOD', SR_CODES.findingSite, SR_CODES.lung),
  ];
  if (r.source === 'model') {
    children.push(
      textItem('HAS CONCEPT MOD', SR_CODES.algorithmName, input.document.model.name),
      textItem('HAS CONCEPT MOD', SR_CODES.algorithmVersion, input.document.model.version),
    );
  }
  // The slice through the finding's centre, by reference (what a PACS opens) and by the number
  // the viewer, the findings list and the PDF call it.
  const k = Math.round(f.centerVoxel[2]);
  const centre = input.frames.find((fr) => fr.slot === k);
  if (centre) {
    children.push(
      item('CONTAINS', 'IMAGE', SR_CODES.sourceOfMeasurement, {
        ReferencedSOPSequence: [
          centre.frame > 0
            ? {
                ReferencedSOPClassUID: input.sopClassUid ?? CT_IMAGE_STORAGE,
                ReferencedSOPInstanceUID: centre.sopInstanceUid,
                ReferencedFrameNumber: [centre.frame],
              }
            : {
                ReferencedSOPClassUID: input.sopClassUid ?? CT_IMAGE_STORAGE,
                ReferencedSOPInstanceUID: centre.sopInstanceUid,
              },
        ],
      }),
    );
  }
  children.push(
    textItem(
      'CONTAINS',
      SR_CODES.imageNumber,
      imageNumberLabel(instanceNumbersBySlot(input.frames, input.volume.dims[2])[k], k),
    ),
    item('CONTAINS', 'SCOORD3D', SR_CODES.imageRegion, {
      ReferencedFrameOfReferenceUID: input.metadata.frameOfReferenceUid,
      GraphicType: 'POINT',
      GraphicData: [...f.centerLps],
    }),
    numItem(SR_CODES.longAxis, f.longAxisMm, SR_CODES.mm),
    numItem(SR_CODES.shortAxis, f.shortAxisMm, SR_CODES.mm),
    numItem(SR_CODES.diameter, f.diameterMm, SR_CODES.mm),
    numItem(SR_CODES.volume, f.volumeMm3, SR_CODES.mm3),
    numItem(SR_CODES.malignancy, Math.round(f.malignancyRisk * 1000) / 10, SR_CODES.percent),
    codeItem('CONTAINS', SR_CODES.noduleType, NODULE_TYPES[f.type]),
    codeItem('CONTAINS', SR_CODES.lungRads, code(`LR${f.lungRads}`, LOCAL_SCHEME, `Lung-RADS ${f.lungRads}`)),
    textItem('CONTAINS', SR_CODES.reviewStatus, r.status),
  );
  return container('CONTAINS', SR_CODES.group, children, {
    ContentTemplateSequence: [{ MappingResource: 'DCMR', TemplateIdentifier: '1410' }],
  });
}

export interface SrResult {
  bytes: Uint8Array;
  sopInstanceUid: string;
  /** Tracking UIDs by finding id (the SR's handle on each finding). */
  trackingUids: Record<string, string>;
}

export function buildMeasurementReport(input: ReportInput, content: ReportContent): SrResult {
  const md = input.metadata;
  const sopClassUid = input.sopClassUid ?? CT_IMAGE_STORAGE;
  const { date, time } = dicomDateTime(content.createdAt);
  const sopInstanceUid = newUid();
  const trackingUids: Record<string, string> = {};
  for (const r of content.shown) trackingUids[r.finding.id] = newUid();

  // The slices that hold a reported finding, each once, in volume order.
  const referenced = new Map<string, (typeof input.frames)[number]>();
  for (const r of content.shown)
    for (const fr of framesOfFinding(input, r.finding)) referenced.set(fr.sopInstanceUid, fr);
  const forUid = input.metadata.frameOfReferenceUid;
  const readerGroups: Item[] = [];
  for (const [i, m] of (input.readerMeasurements ?? []).entries()) {
    const g = readerMeasurementGroup(m, i, newUid(), forUid);
    if (!g) continue;
    readerGroups.push(g);
    const fr = m.sliceIndex === null ? undefined : input.frames.find((f) => f.slot === m.sliceIndex);
    if (fr) referenced.set(fr.sopInstanceUid, fr);
  }
  const frames = [...referenced.values()].sort((a, b) => a.slot - b.slot);
  const sopRef = (uid: string) => ({ ReferencedSOPClassUID: sopClassUid, ReferencedSOPInstanceUID: uid });

  const observers: Item[] = [];
  for (const name of content.reviewers) {
    observers.push(
      codeItem('HAS OBS CONTEXT', SR_CODES.observerType, SR_CODES.person),
      item('HAS OBS CONTEXT', 'PNAME', SR_CODES.personName, { PersonName: personName(name) }),
    );
  }
  const software = input.software ?? DEFAULT_SOFTWARE;
  observers.push(
    codeItem('HAS OBS CONTEXT', SR_CODES.observerType, SR_CODES.device),
    item('HAS OBS CONTEXT', 'UIDREF', SR_CODES.deviceUid, { UID: newUid() }),
    textItem('HAS OBS CONTEXT', SR_CODES.deviceName, software.name),
    textItem(
      'HAS OBS CONTEXT',
      SR_CODES.deviceModel,
      `${input.document.model.name} ${input.document.model.version}`,
    ),
  );

  const root: Item = {
    ValueType: 'CONTAINER',
    ConceptNameCodeSequence: [SR_CODES.report],
    ContinuityOfContent: 'SEPARATE',
    ContentTemplateSequence: [{ MappingResource: 'DCMR', TemplateIdentifier: '1500' }],
    ContentSequence: [
      codeItem('HAS CONCEPT MOD', SR_CODES.language, SR_CODES.english),
      ...observers,
      codeItem('HAS CONCEPT MOD', SR_CODES.procedure, SR_CODES.chestCt),
      container(
        'CONTAINS',
        SR_CODES.imageLibrary,
        frames.length === 0
          ? []
          : [
              container(
                'CONTAINS',
                SR_CODES.imageLibraryGroup,
                frames.map((fr) =>
                  item('CONTAINS', 'IMAGE', code('111031', 'DCM', 'Image'), {
                    ReferencedSOPSequence: [
                      fr.frame > 0
                        ? { ...sopRef(fr.sopInstanceUid), ReferencedFrameNumber: [fr.frame] }
                        : sopRef(fr.sopInstanceUid),
                    ],
                  }),
                ),
              ),
            ],
      ),
      ...(content.shown.length + readerGroups.length > 0
        ? [
            container('CONTAINS', SR_CODES.measurements, [
              ...content.shown.map((r) => measurementGroup(input, r, trackingUids[r.finding.id]!)),
              ...readerGroups,
            ]),
          ]
        : []),
      textItem(
        'CONTAINS',
        SR_CODES.comment,
        `${DISCLAIMER} Exam Lung-RADS ${content.examLungRads}${content.isReviewed ? '' : ' (provisional: review incomplete)'}. Model ${input.document.model.name} ${input.document.model.version} sha256 ${input.document.model.sha256}.`,
      ),
    ],
  };

  const dataset = {
    _vrMap: {},
    SpecificCharacterSet: 'ISO_IR 192',
    SOPClassUID: COMPREHENSIVE_3D_SR_STORAGE,
    SOPInstanceUID: sopInstanceUid,
    InstanceCreationDate: date,
    InstanceCreationTime: time,
    StudyDate: md.studyDate,
    StudyTime: md.studyTime,
    ContentDate: date,
    ContentTime: time,
    AccessionNumber: md.accessionNumber,
    Modality: 'SR',
    Manufacturer: software.name,
    ReferringPhysicianName: '',
    StudyDescription: md.studyDescription,
    SeriesDescription: 'PulmoLens measurement report (research use)',
    ReferencedPerformedProcedureStepSequence: [],
    PatientName: md.patientName,
    PatientID: md.patientId,
    PatientBirthDate: md.patientBirthDate,
    PatientSex: md.patientSex,
    SoftwareVersions: software.version,
    StudyInstanceUID: md.studyInstanceUid,
    SeriesInstanceUID: newUid(),
    StudyID: '',
    SeriesNumber: '9001',
    InstanceNumber: '1',
    CodingSchemeIdentificationSequence: [
      { CodingSchemeDesignator: LOCAL_SCHEME, CodingSchemeName: 'PulmoLens local codes' },
    ],
    CompletionFlag: content.isReviewed ? 'COMPLETE' : 'PARTIAL',
    VerificationFlag: 'UNVERIFIED',
    PerformedProcedureCodeSequence: [],
    CurrentRequestedProcedureEvidenceSequence: [
      {
        StudyInstanceUID: md.studyInstanceUid,
        ReferencedSeriesSequence: [
          {
            SeriesInstanceUID: md.seriesInstanceUid,
            // Evidence is every slice the model read, not only those in the image library.
            ReferencedSOPSequence: [...new Set(input.frames.map((fr) => fr.sopInstanceUid))].map(sopRef),
          },
        ],
      },
    ],
    ...root,
  };
  return { bytes: writeDicom(dataset), sopInstanceUid, trackingUids };
}
