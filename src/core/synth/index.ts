export { generatePhantom } from './phantom';
export type { NoduleTruth, Phantom, PhantomOptions, PhantomSize } from './phantom';
export { NODULE_LOCATIONS, NODULE_MARGINS, NODULE_TYPES } from './nodules';
export type { NoduleLocation, NoduleMargin, NoduleRequest } from './nodules';
export { annotationsCsv, phantomToDicom, seededUid } from './dicom-series';
export type { SyntheticSeries } from './dicom-series';
