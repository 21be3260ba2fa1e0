/**
 * The reading workflow's state: the analysis of the open series (stored or fresh), the reader's
 * review as it is being made, the selected finding and the heatmap overlay settings. The review
 * rules (edited sizes, categories, "reviewed") come from src/common/review, which is pure, so the
 * panel, the main process and the report agree.
 */
import type { StoreApi } from 'zustand/vanilla';
import { resettableStore } from './reset-registry';
import type { AnalysisSummary } from '../../shared/analysis-contract';
import type { StudyReview } from '../../common/review';
import type { IpcError, PulmoLensApi } from '../../shared/ipc-contract';
import {
  addManualFinding,
  addNote,
  decide,
  examLungRads,
  isReviewed,
  reviewedFindings,
  type ManualFinding,
  type ReviewDecision,
  type ReviewedFinding,
} from '../../common/review';
import type { LungRadsCategory } from '../../common/findings/findings-document';
import type { ClinicalChange } from '../../common/findings/clinical-inputs';
import type { OverlaySettings } from '../viewer/heatmap-overlay';

export type AnalysisStatus =
  | { kind: 'none' }
  | { kind: 'loading' }
  | { kind: 'running'; taskId: string; done: number; total: number; stage: string }
  | { kind: 'ready' }
  | { kind: 'failed'; error: IpcError };

/**
 * Where a row's last change stands against the vault: the panel shows the optimistic decision at
 * once, so it must also say when that decision is not stored yet, or was refused.
 */
export type RowSaveState = { kind: 'saving' } | { kind: 'failed'; error: IpcError };

export interface FindingsState {
  key: string | null;
  status: AnalysisStatus;
  analysis: AnalysisSummary | null;
  review: StudyReview | null;
  heatmap: Uint8Array | null;
  selectedId: string | null;
  overlay: OverlaySettings;
  saveError: IpcError | null;
  /** Per finding id: a change still being saved, or one the main process refused (rolled back). */
  rowSaves: Record<string, RowSaveState>;
  exportResult: { dir: string; files: string[] } | { error: IpcError } | null;
  /** The clinical inputs being stored, or why the last change was refused. */
  clinicalSave: { kind: 'saving' } | { kind: 'failed'; error: IpcError } | null;

  /** Shows the stored analysis of a series, if any (no re-run). */
  open(key: string): Promise<void>;
  run(): Promise<void>;
  cancel(): Promise<void>;
  onProgress(taskId: string, p: { done: number; total: number; stage: string }): void;
  select(id: string | null): void;
  /** Moves the selection by delta rows (panel order); returns the new id. */
  step(delta: number): string | null;
  decide(findingId: string, decision: DecisionInput): Promise<void>;
  addManual(m: Omit<ManualFinding, 'reviewer' | 'at'>): Promise<void>;
  addNote(text: string, findingId?: string): Promise<void>;
  /** Stores the reader's clinical inputs; the analysis comes back with every risk recomputed. */
  setClinical(change: ClinicalChange): Promise<void>;
  setOverlay(patch: Partial<OverlaySettings>): void;
  /** `overwrite` only after the user confirmed replacing the files named by an OUTPUT_EXISTS error. */
  exportReport(outDir: string, overwrite?: boolean): Promise<void>;
}

export type DecisionInput =
  | { kind: 'accepted'; spiculated?: boolean }
  | { kind: 'rejected'; reason?: string }
  | Omit<Extract<ReviewDecision, { kind: 'edited' }>, 'reviewer' | 'at'>;

/** The rows of the findings panel: above the operating threshold, highest malignancy risk first. */
export function panelRows(s: Pick<FindingsState, 'analysis' | 'review'>): ReviewedFinding[] {
  if (!s.analysis || !s.review) return [];
  const rows = reviewedFindings(s.analysis.document, s.review, { minProbability: s.analysis.threshold });
  // Ordered by the model's own numbers, so a decision (which changes the risk through the nodule
  // count) or an edit never re-orders the list or renumbers the marks on the image under the
  // reader's eyes; the reader's own nodules follow in the order they were added.
  const model = new Map(s.analysis.document.findings.map((f) => [f.id, f]));
  const key = (r: ReviewedFinding) => model.get(r.finding.id) ?? null;
  return rows.sort((a, b) => {
    const fa = key(a);
    const fb = key(b);
    if (!fa || !fb) return Number(!fa) - Number(!fb);
    return fb.malignancyRisk - fa.malignancyRisk || fb.probability - fa.probability;
  });
}

export function reviewState(s: Pick<FindingsState, 'analysis' | 'review'>): {
  reviewed: boolean;
  examCategory: LungRadsCategory;
} {
  if (!s.analysis || !s.review) return { reviewed: false, examCategory: '1' };
  return {
    reviewed: isReviewed(s.analysis.document, s.review, s.analysis.threshold),
    examCategory: examLungRads(panelRows(s)),
  };
}

let taskCounter = 0;

export function createFindingsStore(api: PulmoLensApi): StoreApi<FindingsState> {
  const store = resettableStore<FindingsState>('findings')((set, get) => {
    const author = () => ({ reviewer: get().analysis?.reviewer ?? 'unknown', at: new Date().toISOString() });

    const setRow = (findingId: string | undefined, state: RowSaveState | null) => {
      if (!findingId) return;
      const rowSaves = { ...get().rowSaves };
      if (state) rowSaves[findingId] = state;
      else delete rowSaves[findingId];
      set({ rowSaves });
    };

    const save = async (next: StudyReview, findingId?: string) => {
      const key = get().key;
      if (!key) return;
      const before = get().review;
      set({ review: next, saveError: null });
      setRow(findingId, { kind: 'saving' });
      const r = await api.invoke('review.save', {
        key,
        decisions: next.decisions,
        manual: [...next.manual],
        notes: [...next.notes],
      });
      if (get().key !== key) return;
      if (r.ok) {
        set({ review: r.value.review });
        setRow(findingId, null);
      } else {
        set({ review: before, saveError: r.error });
        setRow(findingId, { kind: 'failed', error: r.error });
      }
    };

    const loadHeatmap = async (key: string) => {
      const h = await api.invoke('analysis.heatmap', { key });
      if (get().key === key && h.ok) set({ heatmap: new Uint8Array(h.value) });
    };

    const show = async (key: string, a: AnalysisSummary) => {
      const rows = panelRows({ analysis: a, review: a.review });
      set({
        analysis: a,
        review: a.review,
        status: { kind: 'ready' },
        selectedId: rows[0]?.finding.id ?? null,
      });
      await loadHeatmap(key);
    };

    return {
      key: null,
      status: { kind: 'none' },
      analysis: null,
      review: null,
      heatmap: null,
      selectedId: null,
      overlay: { visible: true, opacity: 0.45, threshold: 0.2 },
      saveError: null,
      rowSaves: {},
      exportResult: null,
      clinicalSave: null,

      async open(key) {
        if (get().key === key && get().status.kind !== 'none') return;
        set({
          key,
          status: { kind: 'loading' },
          analysis: null,
          review: null,
          heatmap: null,
          selectedId: null,
          saveError: null,
          rowSaves: {},
          exportResult: null,
          clinicalSave: null,
        });
        const r = await api.invoke('analysis.get', { key });
        if (get().key !== key) return;
        if (!r.ok) set({ status: { kind: 'failed', error: r.error } });
        else if (r.value === null) set({ status: { kind: 'none' } });
        else await show(key, r.value);
      },

      async run() {
        const key = get().key;
        if (!key || get().status.kind === 'running') return;
        const taskId = `analysis-${++taskCounter}`;
        set({
          status: { kind: 'running', taskId, done: 0, total: 1, stage: 'starting' },
          exportResult: null,
        });
        const r = await api.invoke('analysis.run', { key, taskId });
        if (get().key !== key) return;
        if (r.ok) await show(key, r.value);
        else
          set({
            status:
              r.error.code === 'CANCELLED'
                ? { kind: get().analysis ? 'ready' : 'none' }
                : { kind: 'failed', error: r.error },
          });
      },

      async cancel() {
        const s = get().status;
        if (s.kind !== 'running') return;
        await api.invoke('task.cancel', { taskId: s.taskId });
      },

      onProgress(taskId, p) {
        const s = get().status;
        if (s.kind === 'running' && s.taskId === taskId) set({ status: { ...s, ...p } });
      },

      select(id) {
        set({ selectedId: id });
      },

      step(delta) {
        const rows = panelRows(get());
        if (rows.length === 0) return null;
        const at = rows.findIndex((r) => r.finding.id === get().selectedId);
        const next = rows[Math.max(0, Math.min(rows.length - 1, at < 0 ? 0 : at + delta))]!;
        set({ selectedId: next.finding.id });
        return next.finding.id;
      },

      async decide(findingId, d) {
        const review = get().review;
        if (!review) return;
        await save(decide(review, findingId, { ...d, ...author() } as ReviewDecision), findingId);
      },

      async addManual(m) {
        const review = get().review;
        if (!review) return;
        await save(addManualFinding(review, { ...m, ...author() }), m.id);
        set({ selectedId: m.id });
      },

      async addNote(text, findingId) {
        const review = get().review;
        if (!review || !text.trim()) return;
        await save(addNote(review, { text: text.trim(), ...(findingId ? { findingId } : {}), ...author() }));
      },

      async setClinical(change) {
        const key = get().key;
        if (!key || !get().analysis) return;
        set({ clinicalSave: { kind: 'saving' } });
        const r = await api.invoke('analysis.setClinical', { key, change });
        if (get().key !== key) return;
        if (r.ok) set({ analysis: r.value, clinicalSave: null });
        else set({ clinicalSave: { kind: 'failed', error: r.error } });
      },

      setOverlay(patch) {
        set({ overlay: { ...get().overlay, ...patch } });
      },

      async exportReport(outDir, overwrite) {
        const key = get().key;
        if (!key) return;
        const r = await api.invoke('report.export', { key, outDir, ...(overwrite ? { overwrite } : {}) });
        set({ exportResult: r.ok ? r.value : { error: r.error } });
      },
    };
  });
  api.on('task.progress', (p) => store.getState().onProgress(p.taskId, p));
  return store;
}
