import { useState } from 'react';
import type { BelowThresholdCandidate } from '../../common/findings/findings-document';

const pct = (p: number) => `${(100 * p).toFixed(p < 0.1 ? 1 : 0)}%`;

/** What limits this analysis (thick slices, unknown age...), as the pipeline said it. */
export function AnalysisWarnings({ warnings }: { warnings: readonly string[] }) {
  if (warnings.length === 0) return null;
  return (
    <ul className="analysis-warnings warn" aria-label="Analysis warnings">
      {warnings.map((w) => (
        <li key={w}>{w}</li>
      ))}
    </ul>
  );
}

/**
 * The stage-1 candidates that stayed below the operating threshold, behind a toggle: for a reader
 * who wants to see what the detector considered. They are not findings: not reviewed, not
 * reported, not in the exam category.
 */
export function AllCandidates({
  candidates,
  threshold,
  imageLabel,
}: {
  candidates: readonly BelowThresholdCandidate[];
  threshold: number;
  imageLabel: (k: number) => string;
}) {
  const [shown, setShown] = useState(false);
  if (candidates.length === 0) return null;
  return (
    <div className="all-candidates">
      <label>
        <input
          type="checkbox"
          checked={shown}
          aria-label="Show all candidates"
          onChange={(e) => setShown(e.target.checked)}
        />{' '}
        Show all candidates ({candidates.length} below {pct(threshold)})
      </label>
      {shown && (
        <table className="findings candidates" aria-label="Candidates below the threshold">
          <thead>
            <tr>
              <th>#</th>
              <th>Score</th>
              <th>Scale mm</th>
              <th>Source</th>
              <th title="DICOM Instance Number">Image</th>
            </tr>
          </thead>
          <tbody>
            {candidates.map((c) => (
              <tr key={c.id} data-candidate-id={c.id}>
                <td>{c.id}</td>
                <td>{pct(c.probability)}</td>
                <td>{c.scaleMm.toFixed(1)}</td>
                <td>{c.source}</td>
                <td>{imageLabel(Math.round(c.centerVoxel[2]))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
