import type { FindingsState } from '../store/findings-store';
import { ColorBar } from './ColorBar';

type Props = Pick<FindingsState, 'overlay' | 'setOverlay'>;

/** Overlay on/off (hotkey H), opacity and threshold, with the legend. */
export function HeatmapControls({ overlay, setOverlay }: Props) {
  return (
    <fieldset className="heatmap-controls">
      <legend>Heatmap</legend>
      <label>
        <input
          type="checkbox"
          checked={overlay.visible}
          onChange={(e) => setOverlay({ visible: e.target.checked })}
        />{' '}
        Show overlay (H)
      </label>
      <label>
        Opacity {Math.round(overlay.opacity * 100)}%
        <input
          type="range"
          aria-label="Heatmap opacity"
          min={0}
          max={1}
          step={0.05}
          value={overlay.opacity}
          onChange={(e) => setOverlay({ opacity: Number(e.target.value) })}
        />
      </label>
      <label>
        Threshold {overlay.threshold.toFixed(2)}
        <input
          type="range"
          aria-label="Heatmap threshold"
          min={0}
          max={0.95}
          step={0.05}
          value={overlay.threshold}
          onChange={(e) => setOverlay({ threshold: Number(e.target.value) })}
        />
      </label>
      <ColorBar threshold={overlay.threshold} />
    </fieldset>
  );
}
