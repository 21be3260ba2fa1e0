/**
 * What the study browser shows: the scanned studies and series, their thumbnails, and the state of
 * the series being opened. States are tagged unions so "loaded with an error" cannot exist.
 */
import { resettableStore } from './reset-registry';
import type { IpcError, LoadedSeriesInfo, PulmoLensApi, Thumbnail } from '../../shared/ipc-contract';
import type { ScannedSeriesSummary } from '../../shared/series';
import type { SkippedFile } from '../../common/dicom';
import type { VaultStudy } from '../../shared/vault-contract';
import type { AutoAnalysis, AutoAnalysisState } from '../../shared/dimse-contract';
import { importFailure, importProblems, seriesFailure, type ImportProblem } from './import-problems';

export interface TaskProgress {
  done: number;
  total: number;
  stage: string;
}

export type ScanState =
  | { kind: 'idle' }
  | { kind: 'scanning'; taskId: string; paths: string[]; progress: TaskProgress | null }
  | { kind: 'done'; paths: string[] }
  | { kind: 'failed'; paths: string[]; error: IpcError };

export type SeriesState =
  | { kind: 'none' }
  | { kind: 'loading'; key: string; taskId: string; progress: TaskProgress | null }
  | { kind: 'loaded'; info: LoadedSeriesInfo; pixels: ArrayBuffer }
  | { kind: 'failed'; key: string; error: IpcError };

export interface StudyGroup {
  studyInstanceUid: string;
  patientName: string;
  patientId: string;
  studyDate: string;
  studyDescription: string;
  series: ScannedSeriesSummary[];
}

export interface StudyState {
  scan: ScanState;
  series: ScannedSeriesSummary[];
  /** Files the scan could not use, with the core's reason for each. */
  skipped: SkippedFile[];
  thumbnails: Record<string, Thumbnail>;
  open: SeriesState;
  /** What went wrong getting studies in or opening a series, each naming the path and reason. */
  problems: ImportProblem[];
  /** Automatic analyses of received series, by series key (queued, running, done, failed). */
  autoAnalyses: Record<string, AutoAnalysisState>;
  onAutoAnalysis(a: AutoAnalysis): void;
  /** A problem found outside an import (a drop that gives no path). */
  addProblem(p: ImportProblem): void;
  dismissProblems(): void;
  /** Imports folders into the vault; the list then shows what the vault holds. */
  scanFolder(paths: string[]): Promise<void>;
  /** Lists the vault's series (after unlock). */
  refresh(): Promise<void>;
  /** Drops everything decrypted (on lock). */
  reset(): void;
  openSeries(key: string): Promise<void>;
  cancel(): Promise<void>;
  onProgress(taskId: string, p: TaskProgress): void;
}

/** Groups series by study, studies and series in a stable reading order. */
export function groupByStudy(series: ScannedSeriesSummary[]): StudyGroup[] {
  const byUid = new Map<string, StudyGroup>();
  for (const s of series) {
    const m = s.metadata;
    const uid = m.studyInstanceUid || '(no study UID)';
    let g = byUid.get(uid);
    if (!g) {
      g = {
        studyInstanceUid: uid,
        patientName: m.patientName,
        patientId: m.patientId,
        studyDate: m.studyDate,
        studyDescription: m.studyDescription,
        series: [],
      };
      byUid.set(uid, g);
    }
    g.series.push(s);
  }
  const groups = [...byUid.values()];
  for (const g of groups)
    g.series.sort((a, b) => (a.metadata.seriesNumber ?? 1e9) - (b.metadata.seriesNumber ?? 1e9));
  return groups.sort((a, b) => b.studyDate.localeCompare(a.studyDate));
}

/** "#3000566 CT chest" for messages; the key when the series is not listed. */
function seriesLabel(series: ScannedSeriesSummary[], key: string): string {
  const s = series.find((x) => x.key === key);
  if (!s) return key;
  const m = s.metadata;
  return `#${m.seriesNumber ?? '–'} ${m.seriesDescription || m.modality}`.trim();
}

let taskCounter = 0;
const newTaskId = (kind: string): string =>
  `${kind}-${Date.now().toString(36)}-${(taskCounter++).toString(36)}`;

const emptyState = () => ({
  scan: { kind: 'idle' } as ScanState,
  series: [] as ScannedSeriesSummary[],
  skipped: [] as SkippedFile[],
  thumbnails: {} as Record<string, Thumbnail>,
  open: { kind: 'none' } as SeriesState,
  problems: [] as ImportProblem[],
  autoAnalyses: {} as Record<string, AutoAnalysisState>,
});

const vaultSeries = (studies: VaultStudy[]): ScannedSeriesSummary[] => studies.flatMap((st) => st.series);

export function createStudyStore(api: PulmoLensApi) {
  return resettableStore<StudyState>('study')((set, get) => {
    // Thumbnails one after another: each decodes a slice, and the list is usable meanwhile.
    const loadThumbnails = async (series: ScannedSeriesSummary[]): Promise<void> => {
      for (const s of series) {
        if (get().thumbnails[s.key]) continue;
        const t = await api.invoke('dicom.thumbnail', { key: s.key, size: 96 });
        // A lock while this ran has reset the store: do not put decrypted pixels back.
        if (t.ok && get().series.some((x) => x.key === s.key))
          set({ thumbnails: { ...get().thumbnails, [s.key]: t.value } });
      }
    };
    return {
      ...emptyState(),

      async scanFolder(paths) {
        const clean = paths.map((p) => p.trim()).filter((p) => p.length > 0);
        if (clean.length === 0) return;
        const taskId = newTaskId('scan');
        set({ scan: { kind: 'scanning', taskId, paths: clean, progress: null }, problems: [] });
        const r = await api.invoke('vault.importFolder', { paths: clean, taskId });
        if (!r.ok) {
          set({
            scan: { kind: 'failed', paths: clean, error: r.error },
            problems: [importFailure(clean, r.error)],
          });
          return;
        }
        const series = vaultSeries(r.value.studies);
        set({
          scan: { kind: 'done', paths: clean },
          series,
          skipped: r.value.skipped,
          problems: importProblems(clean, r.value.skipped, r.value.imported.length),
        });
        await loadThumbnails(series);
      },

      async refresh() {
        const r = await api.invoke('vault.studies', {});
        if (!r.ok) return;
        const series = vaultSeries(r.value.studies);
        set({ series, scan: series.length > 0 ? { kind: 'done', paths: [] } : { kind: 'idle' } });
        // Hosts without DICOM networking answer NOT_FOUND: there are simply none.
        const auto = await api.invoke('dimse.autoAnalyses', {});
        if (auto.ok) {
          const autoAnalyses = { ...get().autoAnalyses };
          for (const a of auto.value.analyses) autoAnalyses[a.key] = a.state;
          set({ autoAnalyses });
        }
        await loadThumbnails(series);
      },

      reset() {
        set(emptyState());
      },

      async openSeries(key) {
        const taskId = newTaskId('load');
        set({ open: { kind: 'loading', key, taskId, progress: null } });
        const info = await api.invoke('dicom.loadSeries', { key, taskId });
        const stillWanted = () => {
          const o = get().open;
          return o.kind === 'loading' && o.taskId === taskId;
        };
        if (!stillWanted()) return;
        if (!info.ok) {
          set({
            open: { kind: 'failed', key, error: info.error },
            problems: [...get().problems, seriesFailure(seriesLabel(get().series, key), info.error)],
          });
          return;
        }
        const pixels = await api.invoke('dicom.volumePixels', { key });
        if (!stillWanted()) return;
        if (!pixels.ok) {
          set({ open: { kind: 'failed', key, error: pixels.error } });
          return;
        }
        const [nx, ny, nz] = info.value.geometry.dims;
        if (pixels.value.byteLength !== nx * ny * nz * 2) {
          const message = `volume of ${key} has ${pixels.value.byteLength} bytes, expected ${nx * ny * nz * 2}`;
          set({ open: { kind: 'failed', key, error: { code: 'INTERNAL', message } } });
          return;
        }
        set({ open: { kind: 'loaded', info: info.value, pixels: pixels.value } });
      },

      async cancel() {
        const { scan, open } = get();
        const ids = [
          scan.kind === 'scanning' ? scan.taskId : null,
          open.kind === 'loading' ? open.taskId : null,
        ];
        for (const taskId of ids) if (taskId) await api.invoke('task.cancel', { taskId });
      },

      addProblem(p) {
        set({ problems: [...get().problems, p] });
      },

      onAutoAnalysis(a) {
        set({ autoAnalyses: { ...get().autoAnalyses, [a.key]: a.state } });
      },

      dismissProblems() {
        set({ problems: [] });
      },

      onProgress(taskId, p) {
        const { scan, open } = get();
        if (scan.kind === 'scanning' && scan.taskId === taskId) set({ scan: { ...scan, progress: p } });
        if (open.kind === 'loading' && open.taskId === taskId) set({ open: { ...open, progress: p } });
      },
    };
  });
}
