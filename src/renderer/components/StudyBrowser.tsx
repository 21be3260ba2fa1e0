import { useEffect, useMemo, useState } from 'react';
import { groupByStudy } from '../store/study-store';
import type { AutoAnalysisState } from '../../shared/dimse-contract';
import { studyStore, useStudy } from '../stores';
import { ProgressBar } from './ProgressBar';
import { Thumb } from './Thumb';
import { FolderBrowser } from './FolderBrowser';

export function StudyBrowser() {
  const scan = useStudy((s) => s.scan);
  const series = useStudy((s) => s.series);
  const skipped = useStudy((s) => s.skipped);
  const thumbnails = useStudy((s) => s.thumbnails);
  const open = useStudy((s) => s.open);
  const [path, setPath] = useState('');
  const problems = useStudy((s) => s.problems);
  const autoAnalyses = useStudy((s) => s.autoAnalyses);
  const [dialogs, setDialogs] = useState(false);
  const [browser, setBrowser] = useState(false);
  const [browsing, setBrowsing] = useState(false);
  const studies = useMemo(() => groupByStudy(series), [series]);

  useEffect(() => {
    void window.api.invoke('app.info', {}).then((r) => {
      setDialogs(r.ok && r.value.nativeDialogs);
      setBrowser(r.ok && r.value.folderBrowser);
    });
  }, []);

  const pickFolder = async () => {
    const r = await window.api.invoke('dialog.openFolder', {});
    if (r.ok && r.value.paths) await studyStore.getState().scanFolder(r.value.paths);
  };
  const openKey = open.kind === 'none' ? null : open.kind === 'loaded' ? open.info.key : open.key;

  return (
    <div className="browser">
      <form
        className="open-form"
        onSubmit={(e) => {
          e.preventDefault();
          void studyStore.getState().scanFolder([path]);
        }}
      >
        {dialogs && (
          <button type="button" onClick={() => void pickFolder()}>
            Open folder…
          </button>
        )}
        {!dialogs && browser && (
          <button type="button" onClick={() => setBrowsing(true)}>
            Browse…
          </button>
        )}
        <input
          aria-label="Folder path"
          placeholder="/path/to/DICOM folder (or drop it on the window)"
          value={path}
          onChange={(e) => setPath(e.target.value)}
        />
        <button type="submit" disabled={!path.trim() || scan.kind === 'scanning'}>
          Import
        </button>
      </form>

      {browsing && (
        <FolderBrowser
          onClose={() => setBrowsing(false)}
          onChoose={(p) => {
            setBrowsing(false);
            setPath(p);
            void studyStore.getState().scanFolder([p]);
          }}
        />
      )}

      {problems.length > 0 && (
        <div className="problems" role="alert" aria-label="Import problems">
          {problems.map((p, i) => (
            <div key={`${p.path}-${i}`} className="problem" data-problem-path={p.path}>
              <strong>{p.title}</strong>: <code>{p.path}</code>
              <div>{p.reason}</div>
            </div>
          ))}
          <button type="button" onClick={() => studyStore.getState().dismissProblems()}>
            Dismiss
          </button>
        </div>
      )}

      {scan.kind === 'scanning' && (
        <div className="state">
          <ProgressBar progress={scan.progress} label="Scanning" />
          <button onClick={() => void studyStore.getState().cancel()}>Cancel</button>
        </div>
      )}
      {scan.kind === 'failed' && problems.length === 0 && (
        <div className="state error" role="alert">
          Import failed: {scan.error.message}
        </div>
      )}
      {scan.kind === 'idle' && (
        <div className="state muted">No study open. Import a folder of DICOM files.</div>
      )}
      {scan.kind === 'done' && series.length === 0 && (
        <div className="state muted">No CT series found in {scan.paths.join(', ')}.</div>
      )}

      {studies.map((st) => (
        <section key={st.studyInstanceUid} className="study">
          <div className="study-head">
            <div className="patient">{st.patientName || st.patientId || 'Anonymous'}</div>
            <div className="muted">
              {formatDate(st.studyDate)} {st.studyDescription}
            </div>
          </div>
          <ul className="series-list">
            {st.series.map((s) => (
              <li key={s.key}>
                <button
                  className={openKey === s.key ? 'series active' : 'series'}
                  data-series-key={s.key}
                  onClick={() => void studyStore.getState().openSeries(s.key)}
                >
                  <Thumb thumb={thumbnails[s.key]} />
                  <span className="series-text">
                    <span>
                      #{s.metadata.seriesNumber ?? '–'} {s.metadata.seriesDescription || s.metadata.modality}
                    </span>
                    <span className="muted">
                      {s.sliceCount} slices · {s.columns}×{s.rows} · {fmt(s.spacingMm[2])} mm
                    </span>
                    {s.receivedFrom && (
                      <span className="muted" data-received-from={s.receivedFrom}>
                        received from {s.receivedFrom}
                      </span>
                    )}
                    {s.warnings.length > 0 && <span className="warn">{s.warnings.length} warning(s)</span>}
                  </span>
                </button>
                {autoAnalyses[s.key] && <AutoAnalysisNote state={autoAnalyses[s.key]!} />}
              </li>
            ))}
          </ul>
        </section>
      ))}

      {skipped.length > 0 && (
        <details className="skipped">
          <summary>{skipped.length} file(s) skipped</summary>
          <ul>
            {skipped.map((f) => (
              <li key={f.path} title={f.path}>
                <code>{f.path.split('/').pop()}</code>: {f.reason}
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}

/** Where the automatic analysis of a received series stands; a failure is an alert on the series. */
function AutoAnalysisNote({ state }: { state: AutoAnalysisState }) {
  switch (state.kind) {
    case 'queued':
      return (
        <div className="muted auto-analysis" data-auto-analysis="queued">
          automatic analysis queued
        </div>
      );
    case 'running':
      return (
        <div className="auto-analysis" data-auto-analysis="running">
          <ProgressBar progress={state} label="Automatic analysis" />
        </div>
      );
    case 'done':
      return (
        <div className="muted auto-analysis" data-auto-analysis="done">
          analysed automatically: {state.findings} finding(s) to review
        </div>
      );
    case 'failed':
      return (
        <div className="error auto-analysis" role="alert" data-auto-analysis="failed">
          automatic analysis failed ({state.code}): {state.message}. Open the series and press Analyse to try
          again.
        </div>
      );
  }
}

const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '?');
export const formatDate = (d: string) =>
  /^\d{8}$/.test(d) ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}` : d;
