import { useShallow } from 'zustand/react/shallow';
import { useViewer, viewerStore } from '../stores';
import { SLAB_MAX_MM, SLAB_MIN_MM, type PrimaryTool } from '../store/viewer-store';
import { WINDOW_PRESETS } from '../viewer/presets';

const tools: { id: PrimaryTool; label: string; title: string }[] = [
  { id: 'WindowLevel', label: 'W/L', title: 'Window/level (drag)' },
  { id: 'StackScroll', label: 'Scroll', title: 'Scroll through slices (drag; wheel always scrolls)' },
  { id: 'Zoom', label: 'Zoom', title: 'Zoom (drag; right button always zooms)' },
  { id: 'Pan', label: 'Pan', title: 'Pan (drag; middle button always pans)' },
  { id: 'Length', label: 'Length', title: 'Length measurement in mm' },
  { id: 'Bidirectional', label: 'Bidir.', title: 'Long and short axis in mm' },
  { id: 'Probe', label: 'HU', title: 'HU probe' },
  { id: 'Crosshairs', label: 'Crosshairs', title: 'Crosshairs linking the three planes (MPR layout)' },
];

export function Toolbar() {
  // Only what the toolbar shows: slice readouts change on every scroll step.
  const s = useViewer(
    useShallow((x) => ({
      tool: x.tool,
      preset: x.preset,
      layout: x.layout,
      mip: x.mip,
      slabMm: x.slabMm,
      cine: x.cine,
      setTool: x.setTool,
      setLayout: x.setLayout,
      setMip: x.setMip,
      setSlabMm: x.setSlabMm,
      setCine: x.setCine,
    })),
  );
  return (
    <div className="toolbar" role="toolbar">
      <div className="group">
        {tools.map((t) => (
          <button
            key={t.id}
            title={t.title}
            aria-pressed={s.tool === t.id}
            disabled={t.id === 'Crosshairs' && s.layout !== 'mpr'}
            onClick={() => s.setTool(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div className="group">
        {WINDOW_PRESETS.map((p) => (
          <button
            key={p.id}
            title={`${p.label} window ${p.center}/${p.width} (key ${p.hotkey})`}
            aria-pressed={s.preset === p.id}
            onClick={() => {
              // Re-applying the same preset after a manual W/L drag must still take effect.
              viewerStore.getState().setPreset(null);
              viewerStore.getState().setPreset(p.id);
            }}
          >
            {p.label}
          </button>
        ))}
      </div>
      <div className="group">
        <button aria-pressed={s.layout === 'axial'} onClick={() => s.setLayout('axial')} title="One viewport">
          1×1
        </button>
        <button
          aria-pressed={s.layout === 'mpr'}
          onClick={() => s.setLayout('mpr')}
          title="Axial, coronal, sagittal"
        >
          MPR 1×3
        </button>
      </div>
      <div className="group">
        <label className="check">
          <input type="checkbox" checked={s.mip} onChange={(e) => s.setMip(e.target.checked)} /> MIP slab
        </label>
        <input
          type="range"
          aria-label="Slab thickness (mm)"
          min={SLAB_MIN_MM}
          max={SLAB_MAX_MM}
          step={1}
          value={s.slabMm}
          onChange={(e) => s.setSlabMm(Number(e.target.value))}
        />
        <span className="muted">{s.slabMm} mm</span>
      </div>
      <div className="group">
        <button aria-pressed={s.cine} onClick={() => s.setCine(!s.cine)} title="Cine loop">
          {s.cine ? 'Stop' : 'Cine'}
        </button>
        <button
          title="Reset view (space)"
          onClick={() => window.dispatchEvent(new KeyboardEvent('keydown', { key: ' ' }))}
        >
          Reset
        </button>
      </div>
    </div>
  );
}
