import { useViewer } from '../stores';

export function MeasurementList() {
  const measurements = useViewer((s) => s.measurements);
  return (
    <aside className="measurements" aria-label="Measurements">
      <h3>Measurements</h3>
      {measurements.length === 0 && (
        <div className="muted">None. Choose Length, Bidir. or HU and click the image.</div>
      )}
      <ol>
        {measurements.map((m) => (
          <li key={m.uid} data-measurement-tool={m.tool} data-value={m.value}>
            <span className="muted">{m.tool}</span> <span className="value">{m.text}</span>{' '}
            <span className="muted">({m.viewportId})</span>
          </li>
        ))}
      </ol>
    </aside>
  );
}
