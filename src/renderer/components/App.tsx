import { StudyBrowser } from './StudyBrowser';
import { Workspace } from './Workspace';

export function App() {
  return (
    <div className="app">
      <aside className="sidebar">
        <header className="brand">
          PulmoLens <span className="muted">research use only</span>
        </header>
        <StudyBrowser />
      </aside>
      <main className="main">
        <Workspace />
      </main>
    </div>
  );
}
