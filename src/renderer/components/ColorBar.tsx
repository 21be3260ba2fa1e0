import { hotColour } from '../viewer/heatmap-overlay';

/** Legend of the heatmap overlay: probability 0..1 in the overlay's colour map; below threshold is clear. */
export function ColorBar({ threshold }: { threshold: number }) {
  const stops = Array.from({ length: 11 }, (_, i) => {
    const [r, g, b] = hotColour(i / 10);
    return `rgb(${r},${g},${b}) ${i * 10}%`;
  });
  return (
    <div className="colorbar" aria-label="Heatmap colour bar" data-testid="colorbar">
      <div
        style={{
          height: 10,
          background: `linear-gradient(to right, ${stops.join(', ')})`,
          position: 'relative',
          border: '1px solid #444',
        }}
      >
        <div
          title="not drawn below the threshold"
          style={{
            position: 'absolute',
            left: 0,
            top: 0,
            bottom: 0,
            width: `${threshold * 100}%`,
            background: 'repeating-linear-gradient(45deg, #222 0 3px, #555 3px 6px)',
          }}
        />
      </div>
      <div style={{ display: 'flex', justifyContent: 'space-between', fontSize: 11 }}>
        <span>0</span>
        <span>nodule probability</span>
        <span>1</span>
      </div>
    </div>
  );
}
