/** The DICOM CT engine: scan inputs into series, decode a series into an HU volume. */
export { scanDicomInputs, groupSeries, readHeader } from './scan';
export { loadSeries, type LoadOptions } from './load-series';
export { bufferFileSource, fsFileSource, type FileSource } from './file-source';
export { parseInstance, type InstanceHeader } from './parse-instance';
export { transferSyntaxInfo, TRANSFER_SYNTAXES } from './transfer-syntax';
export { summariseDecodedSeries, type DecodedSeriesSummary } from './series-summary';
export type * from './types';
