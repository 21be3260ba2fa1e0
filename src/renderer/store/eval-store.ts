/**
 * The Evaluation page's state: the inputs the researcher chose, the running evaluation (progress,
 * cancel), its result, and which page is on screen. A click on a miss or a false positive leaves
 * a `goto` that the workspace honours once that series is open.
 */
import type { StoreApi } from 'zustand/vanilla';
import { resettableStore } from './reset-registry';
import type { EvalRunResult } from '../../shared/analysis-contract';
import type { IpcError, PulmoLensApi } from '../../shared/ipc-contract';

export type Page = 'viewer' | 'evaluation';

export type EvalStatus =
  | { kind: 'idle' }
  | { kind: 'running'; taskId: string; done: number; total: number; stage: string }
  | { kind: 'done' }
  | { kind: 'failed'; error: IpcError };

export interface EvalInputs {
  studies: string;
  findings: string;
  /** Empty: the model manifest's operating point (without one, the F1-maximising threshold). */
  threshold: string;
  /** Where the results are written (the researcher's choice; never a temp folder). */
  outDir: string;
  /** 'yes': score the model's training scans too (they are flagged either way). */
  includeTrainingScans: '' | 'yes';
}

export interface Goto {
  seriesInstanceUid: string;
  centerLps: [number, number, number];
}

export interface EvalState {
  page: Page;
  inputs: EvalInputs;
  status: EvalStatus;
  result: EvalRunResult | null;
  goto: Goto | null;
  setPage(page: Page): void;
  setInput<K extends keyof EvalInputs>(name: K, value: EvalInputs[K]): void;
  reference: ReferenceSource;
  setReference(reference: ReferenceSource): void;
  files: PickedFiles;
  setFile(which: keyof PickedFiles, file: PickedCsv | null): void;
  exportStatus: ExportStatus;
  /** Writes the vault's review decisions as LUNA16 CSV labels into a folder the researcher chose. */
  exportLabels(outDir: string, deidentifyUids: boolean): Promise<void>;
  /** Checks the inputs; returns the problem or null. */
  problem(): string | null;
  run(): Promise<void>;
  cancel(): Promise<void>;
  onProgress(taskId: string, p: { done: number; total: number; stage: string }): void;
  /** Opens the viewer at a spot of a scanned series. */
  openSpot(goto: Goto): void;
  clearGoto(): void;
}

let counter = 0;

/** A CSV picked in the page (<input type=file>): its name and text travel, never a typed path. */
export interface PickedCsv {
  name: string;
  text: string;
}

export interface PickedFiles {
  annotations: PickedCsv | null;
  excluded: PickedCsv | null;
}

/** What the evaluation is scored against: reference CSV files, or the site's reviews in the vault. */
export type ReferenceSource = 'files' | 'reviews';

export type ExportStatus =
  | { kind: 'idle' }
  | { kind: 'running' }
  | { kind: 'done'; files: string[]; labels: number; series: number }
  | { kind: 'failed'; error: IpcError };

export function evalRequest(
  inputs: EvalInputs,
  files: PickedFiles,
): {
  studies: string;
  annotationsFile?: PickedCsv;
  excludedFile?: PickedCsv;
  findings?: string;
  threshold?: number;
  includeTrainingScans?: boolean;
  outDir: string;
} {
  const t = inputs.threshold.trim();
  return {
    studies: inputs.studies.trim(),
    ...(files.annotations ? { annotationsFile: files.annotations } : {}),
    ...(files.excluded ? { excludedFile: files.excluded } : {}),
    ...(inputs.findings.trim() ? { findings: inputs.findings.trim() } : {}),
    ...(t ? { threshold: Number(t) } : {}),
    ...(inputs.includeTrainingScans === 'yes' ? { includeTrainingScans: true } : {}),
    outDir: inputs.outDir.trim(),
  };
}

export function createEvalStore(api: PulmoLensApi): StoreApi<EvalState> {
  const store = resettableStore<EvalState>('evaluation')((set, get) => ({
    page: 'viewer',
    reference: 'files',
    files: { annotations: null, excluded: null },
    exportStatus: { kind: 'idle' },
    inputs: {
      studies: '',
      findings: '',
      threshold: '',
      outDir: '',
      includeTrainingScans: '',
    },
    status: { kind: 'idle' },
    result: null,
    goto: null,
    setPage(page) {
      set({ page });
    },
    setInput(name, value) {
      set({ inputs: { ...get().inputs, [name]: value } });
    },
    setReference(reference) {
      set({ reference });
    },
    setFile(which, file) {
      set({ files: { ...get().files, [which]: file } });
    },
    async exportLabels(outDir, deidentifyUids) {
      if (!outDir.trim()) return;
      set({ exportStatus: { kind: 'running' } });
      const r = await api.invoke('eval.exportLabels', { outDir: outDir.trim(), deidentifyUids });
      set({ exportStatus: r.ok ? { kind: 'done', ...r.value } : { kind: 'failed', error: r.error } });
    },
    problem() {
      const i = get().inputs;
      const reviews = get().reference === 'reviews';
      if (!reviews && !i.studies.trim()) return 'choose the studies folder';
      if (!reviews && !get().files.annotations) return 'choose the annotation CSV';
      const t = i.threshold.trim();
      if (t && !(Number(t) >= 0 && Number(t) <= 1)) return 'the threshold is a probability between 0 and 1';
      if (!i.outDir.trim()) return 'choose the folder the results are written to';
      return null;
    },
    async run() {
      if (get().status.kind === 'running' || get().problem()) return;
      const taskId = `eval-${++counter}`;
      set({ status: { kind: 'running', taskId, done: 0, total: 1, stage: 'starting' } });
      const req = evalRequest(get().inputs, get().files);
      const r =
        get().reference === 'reviews'
          ? await api.invoke('eval.runReviews', {
              ...(req.threshold !== undefined ? { threshold: req.threshold } : {}),
              ...(req.includeTrainingScans ? { includeTrainingScans: true } : {}),
              outDir: req.outDir,
              taskId,
            })
          : await api.invoke('eval.run', { ...req, taskId });
      if (r.ok) set({ status: { kind: 'done' }, result: r.value });
      else set({ status: { kind: 'failed', error: r.error } });
    },
    async cancel() {
      const s = get().status;
      if (s.kind === 'running') await api.invoke('task.cancel', { taskId: s.taskId });
    },
    onProgress(taskId, p) {
      const s = get().status;
      if (s.kind === 'running' && s.taskId === taskId) set({ status: { ...s, ...p } });
    },
    openSpot(goto) {
      set({ goto, page: 'viewer' });
    },
    clearGoto() {
      set({ goto: null });
    },
  }));
  api.on('task.progress', (p) => store.getState().onProgress(p.taskId, p));
  return store;
}
