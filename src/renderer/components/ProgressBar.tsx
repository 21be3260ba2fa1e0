import type { TaskProgress } from '../store/study-store';

export function ProgressBar({ progress, label }: { progress: TaskProgress | null; label: string }) {
  const pct = progress && progress.total > 0 ? Math.round((100 * progress.done) / progress.total) : null;
  return (
    <div className="progress" role="progressbar" aria-label={label} aria-valuenow={pct ?? undefined}>
      <div className="progress-label">
        {label}
        {progress ? ` — ${progress.stage} ${progress.done}/${progress.total}` : '…'}
      </div>
      <div className="progress-track">
        <div
          className={pct === null ? 'progress-fill indeterminate' : 'progress-fill'}
          style={{ width: `${pct ?? 30}%` }}
        />
      </div>
    </div>
  );
}
