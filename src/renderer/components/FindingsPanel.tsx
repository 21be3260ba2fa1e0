import { useEffect, useRef, useState } from 'react';
import { useStore } from 'zustand';
import type { StoreApi } from 'zustand/vanilla';
import type { Vec3 } from '../../common/volume';
import { panelRows, reviewState, type FindingsState } from '../store/findings-store';
import { AllCandidates, AnalysisWarnings } from './AllCandidates';
import { imageNoiseText } from '../../common/findings/image-noise-text';
import { ClinicalInputs } from './ClinicalInputs';
import { HeatmapControls } from './HeatmapControls';
import { ReviewControls } from './ReviewControls';
import { Saliency } from './Saliency';
import { SendToPacs } from './SendToPacs';
import { hotkeyAction, isTypingTarget } from '../viewer/hotkeys';

const pct = (p: number) => `${(100 * p).toFixed(p < 0.1 ? 1 : 0)}%`;

/**
 * Analyse (hotkey A), the findings of the open series sorted by risk, the review of the selected
 * one, hand-added nodules, the heatmap controls, the report export and the send to the PACS.
 */
export function FindingsPanel({
  store,
  onSelect,
  currentPoint,
  imageLabel,
}: {
  store: StoreApi<FindingsState>;
  /** Centre the viewports on a finding. */
  onSelect: (id: string) => void;
  /** The point at the centre of the axial view, for a hand-added nodule. */
  currentPoint: () => { lps: Vec3; voxel: Vec3 } | null;
  /** The reader's name of volume slice k: its DICOM Instance Number (as on the PACS and the report). */
  imageLabel: (k: number) => string;
}) {
  const s = useStore(store);
  const rows = panelRows(s);
  const { reviewed, examCategory } = reviewState(s);
  const selected = rows.find((r) => r.finding.id === s.selectedId) ?? null;
  const [outDir, setOutDir] = useState('');
  const listRef = useRef<HTMLTableSectionElement>(null);
  const manualCount = useRef(0);
  const selectRef = useRef(onSelect);
  useEffect(() => {
    selectRef.current = onSelect;
  }, [onSelect]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTypingTarget(e.target)) return;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const action = hotkeyAction(e.key)?.kind;
      if (action === 'analyse') {
        e.preventDefault();
        void store.getState().run();
      } else if (action === 'nextFinding' || action === 'previousFinding') {
        // Next / previous finding (no OHIF default uses the brackets): select and centre on it.
        e.preventDefault();
        const id = store.getState().step(action === 'nextFinding' ? 1 : -1);
        if (id) selectRef.current(id);
      } else if (action === 'heatmap') {
        e.preventDefault();
        const st = store.getState();
        st.setOverlay({ visible: !st.overlay.visible });
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [store]);

  const status = s.status;
  return (
    <aside
      className="findings-panel"
      aria-label="Findings"
      style={{ overflow: 'auto', padding: 6, fontSize: 12 }}
    >
      <div className="analyse">
        <button
          onClick={() => void s.run()}
          disabled={status.kind === 'running' || status.kind === 'loading'}
        >
          {s.analysis ? 'Re-analyse (A)' : 'Analyse (A)'}
        </button>
        {status.kind === 'running' && (
          <div
            role="progressbar"
            aria-label="Analysis progress"
            aria-valuenow={Math.round((100 * status.done) / Math.max(1, status.total))}
          >
            <div>
              {status.stage} {status.done}/{status.total}
            </div>
            <progress max={Math.max(1, status.total)} value={status.done} style={{ width: '100%' }} />
            <button onClick={() => void s.cancel()}>Cancel</button>
          </div>
        )}
        {status.kind === 'failed' && (
          <div role="alert" className="error">
            {status.error.code}: {status.error.message}
          </div>
        )}
      </div>
      {s.analysis && (
        <>
          <div className="model-line" data-testid="model-line">
            {s.analysis.model.name} {s.analysis.model.version} (sha256 {s.analysis.model.sha256.slice(0, 12)}
            …) on {s.analysis.executionProvider}, {new Date(s.analysis.analysedAt).toLocaleString()}
            {s.analysis.stored ? ' — stored result' : ''}
          </div>
          <AnalysisWarnings warnings={s.analysis.document.warnings ?? []} />
          {s.analysis.document.imageNoise && (
            <div className="image-noise" data-testid="image-noise">
              {imageNoiseText(s.analysis.document.imageNoise)}
            </div>
          )}
          <ClinicalInputs
            // A stored change (or another analysis) resets the form to what the vault holds.
            key={`${s.key}|${s.analysis.analysedAt}|${JSON.stringify(s.analysis.document.clinical ?? null)}`}
            clinical={s.analysis.document.clinical}
            emphysema={s.analysis.document.emphysema}
            saveState={s.clinicalSave}
            onSave={(c) => void s.setClinical(c)}
          />
          <div>
            {reviewed ? (
              <span className="badge reviewed" data-testid="reviewed-badge">
                Reviewed
              </span>
            ) : (
              <span className="badge pending">Not reviewed</span>
            )}{' '}
            Exam Lung-RADS <strong data-testid="exam-lungrads">{examCategory}</strong>
          </div>
          {s.saveError && (
            <div role="alert" className="error">
              Review not saved: {s.saveError.message}
            </div>
          )}
          <HeatmapControls overlay={s.overlay} setOverlay={s.setOverlay} />
          <table className="findings" aria-label="Findings table">
            <thead>
              <tr>
                <th>#</th>
                <th>Size mm</th>
                <th>Vol mm³</th>
                <th>Type</th>
                <th>Margin</th>
                <th>Risk</th>
                <th>L-RADS</th>
                <th title="DICOM Instance Number">Image</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody
              ref={listRef}
              tabIndex={0}
              aria-label="Findings list"
              onKeyDown={(e) => {
                if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
                e.preventDefault();
                e.stopPropagation();
                const id = s.step(e.key === 'ArrowDown' ? 1 : -1);
                if (id) onSelect(id);
              }}
            >
              {rows.map((r, n) => {
                const f = r.finding;
                const saving = s.rowSaves[f.id];
                return (
                  <tr
                    key={f.id}
                    data-finding-id={f.id}
                    data-save={saving?.kind ?? 'stored'}
                    aria-selected={f.id === s.selectedId}
                    className={f.id === s.selectedId ? 'selected' : ''}
                    style={f.id === s.selectedId ? { background: '#234' } : undefined}
                    title={f.fleischner}
                    onClick={() => {
                      s.select(f.id);
                      onSelect(f.id);
                      listRef.current?.focus();
                    }}
                  >
                    <td>{n + 1}</td>
                    <td>
                      {f.longAxisMm.toFixed(1)}×{f.shortAxisMm.toFixed(1)}
                    </td>
                    <td>{Math.round(f.volumeMm3)}</td>
                    <td>
                      {f.type}
                      {f.solidComponentMm !== undefined && (
                        <span className="muted"> (solid {f.solidComponentMm.toFixed(1)})</span>
                      )}
                    </td>
                    <td
                      data-testid="finding-margin"
                      title={
                        f.spiculated === null
                          ? 'The model does not assess the margin: set it when you accept or edit (Lung-RADS 4X, Brock risk)'
                          : undefined
                      }
                    >
                      {f.spiculated === null ? '—' : f.spiculated ? 'spiculated' : 'not spiculated'}
                    </td>
                    <td data-testid="finding-risk">{pct(f.malignancyRisk)}</td>
                    <td data-testid="finding-lungrads">{f.lungRads}</td>
                    <td data-testid="finding-image">{imageLabel(Math.round(f.centerVoxel[2]))}</td>
                    <td>
                      <span data-testid="finding-status">{r.status}</span>
                      {saving?.kind === 'saving' && (
                        <span className="row-save muted" data-testid="finding-save" role="status">
                          {' '}
                          saving…
                        </span>
                      )}
                      {saving?.kind === 'failed' && (
                        <span
                          className="row-save error"
                          data-testid="finding-save"
                          role="alert"
                          title={saving.error.message}
                        >
                          {' '}
                          not saved: {saving.error.message}
                        </span>
                      )}
                    </td>
                  </tr>
                );
              })}
              {rows.length === 0 && (
                <tr>
                  <td colSpan={9} className="muted">
                    No finding above {pct(s.analysis.threshold)}.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
          <AllCandidates
            candidates={s.analysis.document.candidates ?? []}
            threshold={s.analysis.threshold}
            imageLabel={imageLabel}
          />
          {selected && (
            <div className="selected-finding">
              <div className="fleischner">{selected.finding.fleischner}</div>
              <ReviewControls
                key={`${selected.finding.id}-${selected.status}`}
                row={selected}
                onDecide={(d) => void s.decide(selected.finding.id, d)}
                onNote={(t) => void s.addNote(t, selected.finding.id)}
              />
              {selected.source === 'model' && s.key && (
                <Saliency
                  key={`${s.key}/${selected.finding.id}`}
                  seriesKey={s.key}
                  findingId={selected.finding.id}
                />
              )}
            </div>
          )}
          <button
            onClick={() => {
              const p = currentPoint();
              if (!p) return;
              manualCount.current += 1;
              void s.addManual({
                id: `manual-${Date.now().toString(36)}-${manualCount.current}`,
                centerLps: p.lps,
                centerVoxel: p.voxel,
                measurement: { longAxisMm: 6, shortAxisMm: 6 },
                type: 'solid',
                spiculated: false,
                upperLobe: false,
              });
            }}
          >
            Add missed nodule at view centre
          </button>
          {s.review && s.review.notes.length > 0 && (
            <ul className="notes">
              {s.review.notes.map((n, i) => (
                <li key={i}>
                  {n.text} <span className="muted">— {n.reviewer}</span>
                </li>
              ))}
            </ul>
          )}
          <form
            className="export"
            onSubmit={(e) => {
              e.preventDefault();
              if (outDir.trim()) void s.exportReport(outDir.trim());
            }}
          >
            <input
              aria-label="Report folder"
              placeholder="/absolute/folder for the report"
              value={outDir}
              onChange={(e) => setOutDir(e.target.value)}
            />
            <button type="submit">Export report</button>
          </form>
          {s.exportResult && 'files' in s.exportResult && (
            <div role="status" data-testid="export-done">
              Wrote {s.exportResult.files.length} file(s) to {s.exportResult.dir}
            </div>
          )}
          {s.exportResult && 'error' in s.exportResult && s.exportResult.error.code === 'OUTPUT_EXISTS' && (
            <div role="alertdialog" aria-label="Replace existing files" className="error">
              {s.exportResult.error.message}
              <button type="button" onClick={() => void s.exportReport(outDir.trim(), true)}>
                Replace existing files
              </button>
            </div>
          )}
          {s.exportResult && 'error' in s.exportResult && s.exportResult.error.code !== 'OUTPUT_EXISTS' && (
            <div role="alert" className="error">
              Export failed: {s.exportResult.error.message}
            </div>
          )}
          {s.key && <SendToPacs key={s.key} seriesKey={s.key} reviewed={reviewed} />}
        </>
      )}
    </aside>
  );
}
