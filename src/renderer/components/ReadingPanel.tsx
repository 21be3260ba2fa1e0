/**
 * Glue between the workspace's viewer engine and the reading workflow: opens the stored analysis
 * of the series on screen, keeps the heatmap overlay on every viewport in step with the findings
 * store, centres the views on a selected finding, and honours a pending "go to" from the
 * Evaluation page.
 */
import { useEffect } from 'react';
import { useStore } from 'zustand';
import type { LoadedSeriesInfo } from '../../shared/ipc-contract';
import { imageNumberLabel } from '../../common/image-number';
import { evalStore, findingsStore } from '../reading-stores';
import { viewerStore } from '../stores';
import { worldToVoxel, type Vec3 } from '../../common/volume';
import { panelRows, type FindingsState } from '../store/findings-store';
import { CadMarks, type CadMark } from '../viewer/cad-marks';
import { centreViewportsOn, HeatmapOverlay } from '../viewer/heatmap-overlay';
import type { ViewerEngine } from '../viewer/viewer-engine';
import { FindingsPanel } from './FindingsPanel';

/** One mark per listed finding the reader has not rejected, numbered as in the list. */
function cadMarks(s: FindingsState): CadMark[] {
  return panelRows(s).flatMap((r, n) =>
    r.status === 'rejected'
      ? []
      : [
          {
            id: r.finding.id,
            number: n + 1,
            centerLps: r.finding.centerLps,
            radiusMm: r.finding.longAxisMm / 2,
            selected: r.finding.id === s.selectedId,
          },
        ],
  );
}

/** Where rejected findings' heat is hidden: the nodule and a margin for the detector's blur. */
function rejectedRegions(s: FindingsState): { centerLps: Vec3; radiusMm: number }[] {
  return panelRows(s)
    .filter((r) => r.status === 'rejected')
    .map((r) => ({ centerLps: r.finding.centerLps, radiusMm: r.finding.longAxisMm / 2 + 6 }));
}

function centreOnWorld(engine: ViewerEngine, info: LoadedSeriesInfo, world: Vec3): void {
  const k = Math.round(worldToVoxel(info.geometry, world)[2]);
  centreViewportsOn(engine, world, k);
}

export function ReadingPanel({
  engine,
  info,
  rendered,
}: {
  engine: ViewerEngine | null;
  info: LoadedSeriesInfo;
  rendered: boolean;
}) {
  const heatmap = useStore(findingsStore, (s) => s.heatmap);
  const analysis = useStore(findingsStore, (s) => s.analysis);

  useEffect(() => {
    void findingsStore.getState().open(info.key);
  }, [info.key]);

  // The overlay lives as long as this series' heatmap is on screen.
  useEffect(() => {
    if (!engine || !rendered || !heatmap || !analysis) return;
    const overlay = new HeatmapOverlay(engine, analysis.heatmap, heatmap);
    const apply = () => {
      const v = viewerStore.getState();
      overlay.set(findingsStore.getState().overlay, v.mip ? v.slabMm : 0);
      overlay.suppress(rejectedRegions(findingsStore.getState()));
    };
    apply();
    const un1 = findingsStore.subscribe(
      (s, p) => (s.overlay !== p.overlay || s.review !== p.review) && apply(),
    );
    const un2 = viewerStore.subscribe((s, p) => (s.mip !== p.mip || s.slabMm !== p.slabMm) && apply());
    if (import.meta.env.MODE === 'test') {
      (window as unknown as Record<string, unknown>).__pulmolensOverlay = {
        probabilityAt: (w: Vec3) => overlay.probabilityAt(w),
      };
    }
    return () => {
      un1();
      un2();
      overlay.destroy();
    };
  }, [engine, rendered, heatmap, analysis]);

  // Numbered marks at the listed findings, in step with the list, the review and the selection.
  useEffect(() => {
    if (!engine || !rendered || !analysis) return;
    const marks = new CadMarks(engine);
    const apply = () => {
      const v = viewerStore.getState();
      marks.set(cadMarks(findingsStore.getState()), v.mip ? v.slabMm : 0);
    };
    apply();
    const un1 = findingsStore.subscribe(
      (s, p) =>
        (s.review !== p.review || s.selectedId !== p.selectedId || s.analysis !== p.analysis) && apply(),
    );
    const un2 = viewerStore.subscribe((s, p) => (s.mip !== p.mip || s.slabMm !== p.slabMm) && apply());
    return () => {
      un1();
      un2();
      marks.destroy();
    };
  }, [engine, rendered, analysis]);

  // A spot chosen on the Evaluation page: centre on it once the series is on screen.
  const goto = useStore(evalStore, (s) => s.goto);
  useEffect(() => {
    if (!engine || !rendered || !goto || goto.seriesInstanceUid !== info.metadata.seriesInstanceUid) return;
    const t = setTimeout(() => {
      centreOnWorld(engine, info, goto.centerLps);
      evalStore.getState().clearGoto();
    }, 50);
    return () => clearTimeout(t);
  }, [engine, rendered, goto, info]);

  const onSelect = (id: string) => {
    const s = findingsStore.getState();
    const f =
      s.analysis?.document.findings.find((x) => x.id === id) ??
      s.review?.manual.find((m) => m.id === id) ??
      null;
    if (engine && f) centreOnWorld(engine, info, f.centerLps);
  };

  const currentPoint = () => {
    const vp = engine?.viewport('axial');
    const f = vp?.getCamera().focalPoint;
    if (!f) return null;
    const lps: Vec3 = [f[0], f[1], f[2]];
    return { lps, voxel: worldToVoxel(info.geometry, lps).map((v) => Math.round(v)) as Vec3 };
  };

  return (
    <FindingsPanel
      store={findingsStore}
      onSelect={onSelect}
      currentPoint={currentPoint}
      imageLabel={(k) => imageNumberLabel(info.instanceNumbers[k], k)}
    />
  );
}
