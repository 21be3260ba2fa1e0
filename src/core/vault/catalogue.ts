/** The vault's catalogue: studies and series in the decrypted index, found by any of their names. */
import { PulmoLensError } from '../../common/errors';
import type { ObjectKind, SeriesRecord, StudyRecord } from './index-file';
import type { StoredObject } from './object-store';
import type { VaultSessionState } from './session';

export interface CatalogueSeries {
  ref: string;
  key: string;
  seriesInstanceUid: string;
  seriesNumber: number | null;
  seriesDescription: string;
  modality: string;
  instances: number;
  frames: number;
  bytes: number;
  importedAt: string;
  /** "AET@host" of the DICOM peer that sent it; absent for imports from files */
  receivedFrom?: string;
}

export interface CatalogueStudy {
  ref: string;
  studyInstanceUid: string;
  patientName: string;
  patientId: string;
  studyDate: string;
  studyDescription: string;
  accessionNumber: string;
  series: CatalogueSeries[];
  objects: Partial<Record<ObjectKind, number>>;
  importedAt: string;
}

export function listStudies(state: VaultSessionState): CatalogueStudy[] {
  state.k();
  return state.index.studies.map((s) => summarise(state, s));
}

function summarise(state: VaultSessionState, s: StudyRecord): CatalogueStudy {
  const objects: Partial<Record<ObjectKind, number>> = {};
  for (const o of Object.values(state.index.objects)) {
    if (o.studyRef === s.ref) objects[o.kind] = (objects[o.kind] ?? 0) + 1;
  }
  return {
    ref: s.ref,
    studyInstanceUid: s.studyInstanceUid,
    patientName: s.patientName,
    patientId: s.patientId,
    studyDate: s.studyDate,
    studyDescription: s.studyDescription,
    accessionNumber: s.accessionNumber,
    importedAt: s.importedAt,
    objects,
    series: s.series.map((r) => ({
      ref: r.ref,
      key: r.key,
      seriesInstanceUid: r.metadata.seriesInstanceUid,
      seriesNumber: r.metadata.seriesNumber,
      seriesDescription: r.metadata.seriesDescription,
      modality: r.metadata.modality,
      instances: r.instances.length,
      frames: r.scanned.frames.length,
      bytes: r.instances.reduce((a, i) => a + i.size, 0),
      importedAt: r.importedAt,
      ...(r.receivedFrom ? { receivedFrom: r.receivedFrom } : {}),
    })),
  };
}

/** Finds studies by vault ref, StudyInstanceUID, or (through a series) series ref / UID / key. */
function findStudy(state: VaultSessionState, ref: string): StudyRecord | undefined {
  return state.index.studies.find(
    (s) =>
      s.ref === ref ||
      s.studyInstanceUid === ref ||
      s.series.some((r) => r.ref === ref || r.key === ref || r.metadata.seriesInstanceUid === ref),
  );
}

export function findSeries(
  state: VaultSessionState,
  ref: string,
): { study: StudyRecord; series: SeriesRecord } | undefined {
  for (const study of state.index.studies) {
    const series = study.series.find(
      (r) => r.ref === ref || r.key === ref || r.metadata.seriesInstanceUid === ref,
    );
    if (series) return { study, series };
  }
  return undefined;
}

export function requireStudy(state: VaultSessionState, ref: string): StudyRecord {
  const s = findStudy(state, ref);
  if (!s)
    throw new PulmoLensError('NOT_FOUND', `no study or series "${ref}" in the vault`, { path: state.dir });
  return s;
}

/** The study with its series (scan results whose frame paths are `vault:<objectId>`); audit-logged. */
export async function openStudy(state: VaultSessionState, ref: string): Promise<StudyRecord> {
  state.k();
  const s = requireStudy(state, ref);
  if (!state.readOnly) await state.recordEvent('study-opened', s.ref);
  return structuredClone(s);
}

/** The study and series a series ref, key or SeriesInstanceUID names; NOT_FOUND when absent. */
export function seriesLocation(
  state: VaultSessionState,
  ref: string,
): { studyRef: string; seriesRef: string } {
  state.k();
  const hit = findSeries(state, ref);
  if (!hit) throw new PulmoLensError('NOT_FOUND', `no series "${ref}" in the vault`, { path: state.dir });
  return { studyRef: hit.study.ref, seriesRef: hit.series.ref };
}

export function getSeries(state: VaultSessionState, ref: string): SeriesRecord {
  state.k();
  const hit = findSeries(state, ref);
  if (!hit) throw new PulmoLensError('NOT_FOUND', `no series "${ref}" in the vault`, { path: state.dir });
  return structuredClone(hit.series);
}

export function listObjects(
  state: VaultSessionState,
  filter: { studyRef?: string; kind?: ObjectKind } = {},
): StoredObject[] {
  state.k();
  return Object.values(state.index.objects)
    .filter(
      (o) =>
        (filter.studyRef === undefined || o.studyRef === filter.studyRef) &&
        (!filter.kind || o.kind === filter.kind),
    )
    .map(({ wrappedKey: _w, ...rest }) => rest);
}
