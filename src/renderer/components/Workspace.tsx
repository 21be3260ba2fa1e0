import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { studyStore, useStudy, useViewer, viewerStore } from '../stores';
import { hotkeyAction, isTypingTarget, type HotkeyAction } from '../viewer/hotkeys';
import { presetById, WINDOW_PRESETS } from '../viewer/presets';
import { initCornerstone, ViewerEngine, viewportsFor } from '../viewer/viewer-engine';
import { voxelToWorld } from '../../common/volume';
import type { ViewportId } from '../store/viewer-store';
import { ProgressBar } from './ProgressBar';
import { Toolbar } from './Toolbar';
import { ViewportOverlay } from './ViewportOverlay';
import { MeasurementList } from './MeasurementList';
import { ReadingPanel } from './ReadingPanel';
import { HotkeyHelp } from './HotkeyHelp';

const labels: Record<ViewportId, string> = {
  axial: 'Axial',
  coronal: 'Coronal',
  sagittal: 'Sagittal',
  mip: 'Axial MIP',
};

/** Keys of the findings panel and the vault: the same table, handled where their state lives. */
const handledElsewhere = new Set<HotkeyAction['kind']>([
  'analyse',
  'heatmap',
  'lock',
  'nextFinding',
  'previousFinding',
]);

export function Workspace() {
  const open = useStudy((s) => s.open);
  const layout = useViewer((s) => s.layout);
  const activeViewport = useViewer((s) => s.activeViewport);
  const [engine, setEngine] = useState<ViewerEngine | null>(null);
  const [engineError, setEngineError] = useState<string | null>(null);
  /** Measurements that could not be kept or read back: a banner, the viewer keeps working. */
  const [keepError, setKeepError] = useState<string | null>(null);
  const [rendered, setRendered] = useState<string | null>(null);
  const elements = useRef(new Map<ViewportId, HTMLDivElement>());
  /** The series whose measurements are saved on change: set once its kept ones are on screen. */
  const savingKey = useRef<string | null>(null);
  const help = useViewer((s) => s.help);
  const loaded = open.kind === 'loaded' ? open : null;

  // One engine per page; Cornerstone's init is global.
  useEffect(() => {
    let e: ViewerEngine | null = null;
    let cancelled = false;
    initCornerstone()
      .then(() => {
        if (cancelled) return;
        e = new ViewerEngine(viewerStore);
        setEngine(e);
      })
      .catch((err: unknown) => setEngineError(String(err)));
    return () => {
      cancelled = true;
      e?.destroy();
    };
  }, []);

  // Viewports follow the layout; the volume follows the open series.
  useLayoutEffect(() => {
    // A new series is put on screen by the effect below; this one only follows layout switches.
    if (!engine || !loaded || !engine.shows(loaded.info.key)) return;
    void engine.setLayout(layout, new Map(elements.current)).catch((err) => setEngineError(String(err)));
  }, [engine, layout, loaded]);

  useEffect(() => {
    if (!engine || !loaded) return;
    let stale = false;
    savingKey.current = null;
    viewerStore.getState().reset();
    const layoutNow = viewerStore.getState().layout;
    const key = loaded.info.key;
    // The measurements kept with this series in the vault are redrawn with it.
    const kept = window.api.invoke('measurements.get', { key }).then((r) => {
      if (!r.ok) {
        setKeepError(`could not read the kept measurements: ${r.error.code}: ${r.error.message}`);
        return [];
      }
      return r.value.measurements;
    });
    void engine
      .setLayout(layoutNow, new Map(elements.current))
      .then(() => kept)
      .then((list) => engine.setVolume(loaded.info, loaded.pixels, list))
      .then(() => {
        if (stale) return;
        savingKey.current = key;
        setRendered(key);
      })
      .catch((err: unknown) => {
        console.error(err);
        setEngineError(`could not display the series: ${String(err)}`);
      });
    return () => {
      stale = true;
    };
  }, [engine, loaded]);

  // Store -> engine.
  useEffect(() => {
    if (!engine) return;
    return viewerStore.subscribe((s, prev) => {
      if (s.tool !== prev.tool) engine.bindTools(s.tool);
      if (s.preset !== prev.preset && s.preset) engine.applyWindow(presetById(s.preset));
      if (s.typedWindow !== prev.typedWindow && s.typedWindow) engine.applyWindow(s.typedWindow);
      if (s.invert !== prev.invert) engine.applyInvert(s.invert);
      if (s.mip !== prev.mip || s.slabMm !== prev.slabMm) void engine.setMip(s.mip, s.slabMm);
      if (s.cine !== prev.cine) engine.setCine(s.cine);
    });
  }, [engine]);

  // Measurements -> vault, shortly after they change (a drag changes them on every mouse move).
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const unsubscribe = viewerStore.subscribe((s, prev) => {
      const key = savingKey.current;
      if (s.measurements === prev.measurements || !key) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        if (savingKey.current !== key) return;
        void window.api
          .invoke('measurements.save', { key, measurements: viewerStore.getState().measurements })
          .then((r) => {
            if (r.ok) setKeepError(null);
            else if (r.error.code !== 'VAULT_LOCKED')
              setKeepError(`could not keep the measurements: ${r.error.code}: ${r.error.message}`);
          });
      }, 250);
    });
    return () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
    };
  }, []);

  // Hotkeys.
  useEffect(() => {
    if (!engine) return;
    const onKey = (e: KeyboardEvent) => {
      if (isTypingTarget(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      const action = hotkeyAction(e.key);
      // Keys of the findings panel and the vault are handled there (same table).
      if (!action || handledElsewhere.has(action.kind)) return;
      e.preventDefault();
      const vs = viewerStore.getState();
      const id = vs.activeViewport;
      switch (action.kind) {
        case 'scroll':
          engine.scroll(id, action.delta);
          break;
        case 'first':
        case 'last':
          void engine.jumpToEnd(id, action.kind);
          break;
        case 'preset': {
          const p = WINDOW_PRESETS.find((x) => x.hotkey === action.hotkey);
          if (p) {
            vs.setPreset(p.id);
            engine.applyWindow(p);
          }
          break;
        }
        case 'reset':
          engine.reset();
          break;
        case 'cancel':
          if (vs.help) vs.setHelp(false);
          else engine.cancel();
          break;
        case 'deleteMeasurement':
          engine.deleteMeasurement();
          break;
        case 'invert':
          vs.setInvert(!vs.invert);
          break;
        case 'cine':
          vs.setCine(!vs.cine);
          break;
        case 'help':
          vs.setHelp(!vs.help);
          break;
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [engine]);

  useEffect(() => {
    if (!engine) return;
    // Any size change of a viewport (layout, side panel, window) resizes its canvas at once; the
    // overlays follow the canvas, not the element.
    const ro = new ResizeObserver(() => engine.resize());
    const main = document.querySelector('.viewport-grid');
    if (main) ro.observe(main);
    for (const el of elements.current.values()) ro.observe(el);
    return () => ro.disconnect();
  }, [engine, loaded, layout]);

  // Test-only hook (tree-shaken from production builds): lets e2e tests find landmarks on screen.
  useEffect(() => {
    if (import.meta.env.MODE !== 'test' || !engine || !loaded) return;
    (window as unknown as Record<string, unknown>).__pulmolens = {
      renderedKey: rendered,
      viewportIds: () => (engine.isBusy() ? [] : engine.viewportIds()),
      idle: () => !engine.isBusy(),
      frames: () => engine.frameCount(),
      sliceIndex: (id: ViewportId) => engine.sliceIndex(id),
      sliceCount: (id: ViewportId) => engine.sliceCount(id),
      voxelToCanvas: (id: ViewportId, v: [number, number, number]) =>
        engine.worldToCanvas(id, voxelToWorld(loaded.info.geometry, v)),
      geometry: loaded.info.geometry,
      measurements: () => viewerStore.getState().measurements,
      savedKey: () => savingKey.current,
      engine,
    };
  }, [engine, loaded, rendered]);

  if (engineError) {
    return (
      <div className="center-state error" role="alert">
        Viewer error: {engineError}
      </div>
    );
  }
  if (open.kind === 'none') {
    return <div className="center-state muted">Select a series in the study browser to start reading.</div>;
  }
  if (open.kind === 'loading') {
    return (
      <div className="center-state">
        <ProgressBar progress={open.progress} label="Loading series" />
        <button onClick={() => void studyStore.getState().cancel()}>Cancel</button>
      </div>
    );
  }
  if (open.kind === 'failed') {
    return (
      <div className="center-state error" role="alert">
        <div>Could not open this series.</div>
        <div className="reason">
          {open.error.code}: {open.error.message}
          {open.error.path ? ` (${open.error.path})` : ''}
        </div>
      </div>
    );
  }

  const ids = viewportsFor(layout);
  return (
    <div className="workspace">
      <Toolbar />
      {(open.info.skipped.length > 0 || open.info.warnings.length > 0) && (
        <details className="banner warn" role="status" open>
          <summary>
            Partially imported:{' '}
            {[
              open.info.skipped.length > 0 &&
                `${open.info.skipped.length} frame(s) could not be decoded and show as air (−1024 HU)`,
              open.info.warnings.length > 0 && `${open.info.warnings.length} warning(s)`,
            ]
              .filter(Boolean)
              .join('; ')}
          </summary>
          <ul>
            {open.info.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
            {open.info.skipped.map((f) => (
              <li key={f.path}>
                <code>{f.path}</code>: {f.reason}
              </li>
            ))}
          </ul>
        </details>
      )}
      {keepError && (
        <div className="banner warn" role="alert">
          {keepError}
        </div>
      )}
      {help && <HotkeyHelp onClose={() => viewerStore.getState().setHelp(false)} />}
      <div className="workspace-body" style={{ gridTemplateColumns: '1fr 400px' }}>
        <div
          className={`viewport-grid layout-${layout}`}
          data-rendered={rendered === open.info.key ? 'yes' : 'no'}
        >
          {ids.map((id) => (
            <div
              key={id}
              className={id === activeViewport ? 'viewport-cell active' : 'viewport-cell'}
              onMouseDownCapture={() => viewerStore.getState().setActiveViewport(id)}
            >
              <div
                className="viewport"
                data-viewport-id={id}
                aria-label={`${labels[id]} viewport`}
                onContextMenu={(e) => e.preventDefault()}
                ref={(el) => {
                  if (el) elements.current.set(id, el);
                  else elements.current.delete(id);
                }}
              />
              <ViewportOverlay id={id} label={labels[id]} info={open.info} />
            </div>
          ))}
        </div>
        <div className="side-column" style={{ overflow: 'auto', minHeight: 0 }}>
          <MeasurementList engine={engine} />
          <ReadingPanel engine={engine} info={open.info} rendered={rendered === open.info.key} />
        </div>
      </div>
    </div>
  );
}
