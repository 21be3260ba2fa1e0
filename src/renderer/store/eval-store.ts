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
  annotations: string;
  excluded: string;
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

export function evalRequest(inputs: EvalInputs): {
  studies: string;
  annotations: string;
  excluded?: string;
  findings?: string;
  threshold?: number;
  includeTrainingScans?: boolean;
  outDir: string;
} {
  const t = inputs.threshold.trim();
  return {
    studies: inputs.studies.trim(),
    annotations: inputs.annotations.trim(),
    ...(inputs.excluded.trim() ? { excluded: inputs.excluded.trim() } : {}),
    ...(inputs.findings.trim() ? { findings: inputs.findings.trim() } : {}),
    ...(t ? { threshold: Number(t) } : {}),
    ...(inputs.includeTrainingScans === 'yes' ? { includeTrainingScans: true } : {}),
    outDir: inputs.outDir.trim(),
  };
}

export function createEvalStore(api: PulmoLensApi): StoreApi<EvalState> {
  const store = resettableStore<EvalState>('evaluation')((set, get) => ({
    page: 'viewer',
    inputs: {
      studies: '',
      annotations: '',
      excluded: '',
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
    problem() {
      const i = get().inputs;
      if (!i.studies.trim()) return 'choose the studies folder';
      if (!i.annotations.trim()) return 'choose the annotation CSV';
      const t = i.threshold.trim();
      if (t && !(Number(t) >= 0 && Number(t) <= 1)) return 'the threshold is a probability between 0 and 1';
      if (!i.outDir.trim()) return 'choose the folder the results are written to';
      return null;
    },
    async run() {
      if (get().status.kind === 'running' || get().problem()) return;
      const taskId = `eval-${++counter}`;
      set({ status: { kind: 'running', taskId, done: 0, total: 1, stage: 'starting' } });
      const r = await api.invoke('eval.run', { ...evalRequest(get().inputs), taskId });
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
