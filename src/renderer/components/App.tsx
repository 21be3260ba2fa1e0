import { useState } from 'react';
import { useStore } from 'zustand';
import { importDrop } from '../drop-import';
import { evalStore } from '../reading-stores';
import { EvaluationPage } from './EvaluationPage';
import { useVault } from '../vault';
import { LockScreen } from './LockScreen';
import { VaultBar } from './VaultBar';
import { StudyBrowser } from './StudyBrowser';
import { Workspace } from './Workspace';

export function App() {
  const page = useStore(evalStore, (s) => s.page);
  // Nothing with patient data renders until the vault is unlocked; locking unmounts it all.
  const unlocked = useVault((s) => s.phase.kind === 'unlocked');
  const [dragging, setDragging] = useState(false);
  if (!unlocked) return <LockScreen />;
  return (
    <div
      className={dragging ? 'app dragging' : 'app'}
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target || !e.relatedTarget) setDragging(false);
      }}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        void importDrop(e.dataTransfer);
      }}
    >
      {dragging && <div className="drop-hint">Drop a folder of DICOM files to import it</div>}
      <aside className="sidebar">
        <header className="brand">
          PulmoLens <span className="muted">research use only</span>
        </header>
        <VaultBar />
        <StudyBrowser />
      </aside>
      <main className="main" style={{ display: 'flex', flexDirection: 'column' }}>
        <nav className="page-tabs" role="tablist">
          {(['viewer', 'evaluation'] as const).map((p) => (
            <button
              key={p}
              role="tab"
              aria-selected={page === p}
              onClick={() => evalStore.getState().setPage(p)}
            >
              {p === 'viewer' ? 'Viewer' : 'Evaluation'}
            </button>
          ))}
        </nav>
        <div style={{ flex: 1, minHeight: 0, display: page === 'viewer' ? 'block' : 'none' }}>
          <Workspace />
        </div>
        {page === 'evaluation' && (
          <div style={{ flex: 1, minHeight: 0 }}>
            <EvaluationPage />
          </div>
        )}
      </main>
    </div>
  );
}
