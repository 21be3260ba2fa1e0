import { useState } from 'react';
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
  { id: 'EllipticalROI', label: 'Ellipse', title: 'Elliptical ROI: mean ± SD HU and area' },
  { id: 'CircleROI', label: 'Circle', title: 'Circular ROI: mean ± SD HU and area' },
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
      invert: x.invert,
      setInvert: x.setInvert,
      setHelp: x.setHelp,
      help: x.help,
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
        <button
          aria-pressed={s.layout === 'grid'}
          onClick={() => s.setLayout('grid')}
          title="Axial, coronal, sagittal and an axial MIP slab"
        >
          2×2
        </button>
      </div>
      <TypedWindow />
      <div className="group">
        <button aria-pressed={s.invert} onClick={() => s.setInvert(!s.invert)} title="Invert grey scale (I)">
          Invert
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
        <button aria-pressed={s.cine} onClick={() => s.setCine(!s.cine)} title="Cine loop (C)">
          {s.cine ? 'Stop' : 'Cine'}
        </button>
        <button
          title="Reset view (space)"
          onClick={() => window.dispatchEvent(new KeyboardEvent('keydown', { key: ' ' }))}
        >
          Reset
        </button>
        <button aria-pressed={s.help} onClick={() => s.setHelp(!s.help)} title="Keyboard shortcuts (?)">
          ?
        </button>
      </div>
    </div>
  );
}

/**
 * Window centre and width typed as numbers. They follow the active view's window until the reader
 * starts typing; Enter applies them, leaving the fields without Enter puts the shown values back.
 */
function TypedWindow() {
  const readout = useViewer((x) => x.readouts[x.activeViewport]);
  // What the reader is typing; null while the fields show the active view's window.
  const [draft, setDraft] = useState<{ center: string; width: string } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const shown = draft ?? {
    center: readout ? String(readout.windowCenter) : '',
    width: readout ? String(readout.windowWidth) : '',
  };
  const apply = () => {
    const c = Number(shown.center);
    const w = Number(shown.width);
    if (
      shown.center.trim() === '' ||
      shown.width.trim() === '' ||
      !Number.isFinite(c) ||
      !Number.isFinite(w)
    ) {
      setProblem('window centre and width must be numbers');
      return;
    }
    if (w < 1 || w > 10_000 || Math.abs(c) > 10_000) {
      setProblem('window width 1 to 10000 HU, centre −10000 to 10000 HU');
      return;
    }
    setProblem(null);
    setDraft(null);
    viewerStore.getState().setTypedWindow({ center: c, width: w });
  };
  const field = (label: string, value: string, set: (v: string) => void) => (
    <input
      aria-label={label}
      inputMode="numeric"
      size={5}
      value={value}
      onChange={(e) => set(e.target.value)}
      // Two fields and no submit button: a form would not submit on Enter by itself.
      onKeyDown={(e) => {
        if (e.key === 'Enter') {
          e.preventDefault();
          apply();
        }
      }}
    />
  );
  return (
    <form
      className="group typed-window"
      onSubmit={(e) => e.preventDefault()}
      onBlur={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDraft(null);
      }}
    >
      <label>W {field('Window width (HU)', shown.width, (width) => setDraft({ ...shown, width }))}</label>
      <label>L {field('Window centre (HU)', shown.center, (center) => setDraft({ ...shown, center }))}</label>
      {problem && (
        <span className="error" role="alert">
          {problem}
        </span>
      )}
    </form>
  );
}
