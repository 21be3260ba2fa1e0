import { useEffect, useRef, useState } from 'react';
import type { Saliency as SaliencyMap } from '../../shared/analysis-contract';
import type { IpcError } from '../../shared/ipc-contract';
import { hotColour } from '../viewer/heatmap-overlay';

const PX = 4; // screen pixels per cube voxel

/** The selected finding's cube (remounted per finding: keyed by the panel) (centre axial slice, lung window) with its occlusion saliency. */
export function Saliency({ seriesKey, findingId }: { seriesKey: string; findingId: string }) {
  const [map, setMap] = useState<SaliencyMap | null>(null);
  const [error, setError] = useState<IpcError | null>(null);
  const [busy, setBusy] = useState(false);
  const canvas = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    const c = canvas.current;
    if (!c || !map) return;
    const n = map.size;
    c.width = n;
    c.height = n;
    const ctx = c.getContext('2d');
    if (!ctx) return;
    const img = ctx.createImageData(n, n);
    for (let i = 0; i < n * n; i++) {
      // Lung window (W 1500, L -600), then the saliency blended on top.
      const g = Math.max(0, Math.min(255, ((map.hu[i]! + 1350) / 1500) * 255));
      const s = map.map[i]!;
      const [r, gg, b] = hotColour(s);
      const a = 0.6 * s;
      img.data[4 * i] = g * (1 - a) + r * a;
      img.data[4 * i + 1] = g * (1 - a) + gg * a;
      img.data[4 * i + 2] = g * (1 - a) + b * a;
      img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }, [map]);

  return (
    <div className="saliency">
      <button
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          const r = await window.api.invoke('analysis.saliency', { key: seriesKey, findingId });
          setBusy(false);
          if (r.ok) setMap(r.value);
          else setError(r.error);
        }}
      >
        {busy ? 'Explaining…' : 'Explain (saliency)'}
      </button>
      {map && (
        <div>
          <canvas
            ref={canvas}
            aria-label="Saliency map"
            data-testid="saliency"
            style={{ width: map.size * PX, height: map.size * PX, imageRendering: 'pixelated' }}
          />
          <div className="muted">
            Occlusion sensitivity of the characterizer, centre slice; its p_nodule {map.baseScore.toFixed(2)}{' '}
            (the finding&apos;s probability may also weigh a second U-Net)
          </div>
        </div>
      )}
      {error && (
        <div role="alert" className="error">
          {error.message}
        </div>
      )}
    </div>
  );
}
