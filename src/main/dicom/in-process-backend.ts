import { bufferFileSource, loadSeries, scanDicomInputs } from '../../core/dicom/index';
import type { DicomBackend } from './dicom-backend';

/** Runs the core on the calling thread: for unit tests and tools, never for the app's main process. */
export function createInProcessBackend(): DicomBackend {
  return {
    scan: (paths, opts) => scanDicomInputs(paths, opts),
    load: (series, opts, files) =>
      loadSeries(series, files ? { ...opts, source: bufferFileSource(files) } : opts),
    close: async () => {},
  };
}
