import { useViewer } from '../stores';
import type { ViewerEngine } from '../viewer/viewer-engine';

const toolLabels: Record<string, string> = {
  Length: 'Length',
  Bidirectional: 'Bidir.',
  Probe: 'HU',
  EllipticalROI: 'Ellipse',
  CircleROI: 'Circle',
};

/** The reader's measurements: a row click selects one on the image, × deletes it. */
export function MeasurementList({ engine }: { engine: ViewerEngine | null }) {
  const measurements = useViewer((s) => s.measurements);
  return (
    <aside className="measurements" aria-label="Measurements">
      <h3>Measurements</h3>
      {measurements.length === 0 && (
        <div className="muted">None. Choose Length, Bidir., HU, Ellipse or Circle and draw on the image.</div>
      )}
      <ol>
        {measurements.map((m) => (
          <li key={m.uid} data-measurement-tool={m.tool} data-value={m.value} data-uid={m.uid}>
            <button
              type="button"
              className="link"
              title="Select on the image (Delete removes it)"
              onClick={() => engine?.selectMeasurement(m.uid)}
            >
              <span className="muted">{toolLabels[m.tool] ?? m.tool}</span>{' '}
              <span className="value">{m.text}</span> <span className="muted">({m.viewportId})</span>
            </button>
            <button
              type="button"
              className="delete"
              aria-label={`Delete measurement ${m.text}`}
              title="Delete this measurement"
              onClick={() => engine?.deleteMeasurement(m.uid)}
            >
              ×
            </button>
          </li>
        ))}
      </ol>
    </aside>
  );
}
