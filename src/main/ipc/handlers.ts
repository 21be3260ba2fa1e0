/**
 * Channel handlers: each one names the src/core call it makes. The scanned series and the most
 * recently loaded volumes live here, in the main process; the renderer refers to them by key.
 */
import { summarize } from './series-summary';
import { PulmoLensError } from '../../common/errors';
import type { LoadedSeries, ScannedSeries } from '../../core/dicom/types';
import type { InferenceConfig } from '../../core/inference';
import { instanceNumbersBySlot } from '../../common/image-number';
import type { LoadedSeriesInfo } from '../../shared/ipc-contract';
import type { DicomBackend } from '../dicom/dicom-backend';
import { makeThumbnail } from '../dicom/thumbnail';
import { listFolder, locateDropped } from './folder-browser';
import type { Emit, HandlerContext, Handlers } from './router';
import { createAnalysisHandlers, reportInputLoader, type AnalysisDeps } from './analysis-handlers';
import { memoryAnalysisStore, type AnalysisStore } from '../../core/findings/analysis-store';
import { createEvalHandlers } from './eval-handlers';
import type { VaultSessionHolder } from '../vault-session';
import { createVaultHandlers, storedSeries, vaultAwareBackend, type SourcePaths } from './vault-handlers';
import {
  createMeasurementHandlers,
  memoryMeasurementStore,
  vaultMeasurementStore,
  type MeasurementStore,
} from './measurement-handlers';
import { createDimseHandlers, dimseState } from './dimse-handlers';
import type { DimseService } from '../dimse-service';
import { AutoAnalysisQueue } from '../auto-analysis';

export interface HandlerDeps {
  backend: DicomBackend;
  appInfo: { name: string; version: string };
  /** Native folder picker; absent where there is none (browser test host). */
  openFolder?: () => Promise<string[] | null>;
  /**
   * Folders the browser preview may list and search for dropped folders (folders.list/locate);
   * absent in the desktop app, which has the native dialog and real paths for drops.
   */
  browseRoots?: string[];
  /** How many decoded volumes to keep (each is ~2 bytes per voxel). */
  keepVolumes?: number;
  /** The vault session: series are opened from the vault, decoded data is dropped on lock. */
  vault?: VaultSessionHolder;
  /** Where analyses and reviews are kept (the vault in the app; memory when absent). */
  analysisStore?: AnalysisStore;
  /** Where the reader's measurements are kept (default: the vault when there is one, else memory). */
  measurementStore?: MeasurementStore;
  /** The entry point's inference configuration (default: the shipped models, provider auto). */
  inference?: InferenceConfig;
  /** The Storage SCP service (the app); absent in hosts without DICOM networking. */
  dimse?: DimseService;
  /** Pushes events to the renderer (the router's emit): automatic analyses report through it. */
  emit?: Emit;
}

function describeLoaded(l: LoadedSeries): LoadedSeriesInfo {
  const { volume } = l;
  return {
    key: l.series.key,
    metadata: l.series.metadata,
    geometry: {
      dims: volume.dims,
      spacingMm: volume.spacingMm,
      originLps: volume.originLps,
      direction: volume.direction,
    },
    huMin: l.huMin,
    huMax: l.huMax,
    huMean: l.huMean,
    skipped: l.skipped,
    warnings: l.series.warnings,
    slicePositionsLps: l.series.frames.map((f) => f.positionLps),
    instanceNumbers: instanceNumbersBySlot(l.series.frames, volume.dims[2]),
  };
}

/** Which files and frames make up a scanned series. */
function frameSignature(s: ScannedSeries): string {
  return s.frames.map((f) => `${f.path}#${f.frame}`).join('|');
}

export function createHandlers(depsIn: HandlerDeps): Handlers {
  const sources: SourcePaths = new Map();
  const deps = depsIn.vault
    ? { ...depsIn, backend: vaultAwareBackend(depsIn.backend, depsIn.vault, sources) }
    : depsIn;
  const scanned = new Map<string, ScannedSeries>();
  const loaded = new Map<string, LoadedSeries>();
  const thumbs = new Map<string, ReturnType<typeof makeThumbnail>>();
  const keep = deps.keepVolumes ?? 2;
  const browseRoots = (): string[] => {
    if (!deps.browseRoots?.length) {
      throw new PulmoLensError('INVALID_INPUT', 'no folder browser here: use Open folder… or type the path');
    }
    return deps.browseRoots;
  };

  deps.vault?.onForget(() => {
    sources.clear();
    scanned.clear();
    loaded.clear();
    thumbs.clear();
  });

  const scannedSeries = (key: string): ScannedSeries => {
    if (deps.vault) return storedSeries(deps.vault, key);
    const s = scanned.get(key);
    if (!s) throw new PulmoLensError('NOT_FOUND', `series ${key} has not been scanned in this session`);
    return s;
  };

  const loadedSeries = async (key: string, ctx: HandlerContext): Promise<LoadedSeries> => {
    const hit = loaded.get(key);
    if (hit) return hit;
    const l = await deps.backend.load(scannedSeries(key), { signal: ctx.signal, onProgress: ctx.progress });
    loaded.set(key, l);
    while (loaded.size > keep) loaded.delete(loaded.keys().next().value as string);
    return l;
  };

  const measurementStore =
    deps.measurementStore ?? (deps.vault ? vaultMeasurementStore(deps.vault) : memoryMeasurementStore());
  const analysisDeps: AnalysisDeps = {
    series: loadedSeries,
    readerMeasurements: (key) => measurementStore.load(key),
    store: deps.analysisStore ?? memoryAnalysisStore(),
    // Reviews and reports name the reader who unlocked the vault, not the OS account.
    ...(deps.vault ? { reviewer: () => deps.vault!.reader() ?? 'unnamed reader' } : {}),
    ...(deps.inference ? { inference: deps.inference } : {}),
  };
  const analysis = createAnalysisHandlers(analysisDeps);
  const autoAnalysis = deps.dimse && deps.vault ? autoAnalyseReceived(deps.dimse, deps.vault) : null;
  // The settings screen and the findings panel follow the listener and the send queue live.
  if (deps.dimse && deps.emit) {
    const { dimse } = deps;
    const emit = deps.emit;
    dimse.onChange(() => {
      void dimseState(dimse).then(
        (s) => emit('dimse.state', s),
        () => undefined,
      );
    });
  }

  /** Received series: stale decoded copies are dropped; with `autoAnalyze` each one is analysed. */
  function autoAnalyseReceived(dimse: DimseService, vault: VaultSessionHolder): AutoAnalysisQueue {
    const queue = new AutoAnalysisQueue({
      run: async (key, ctx) => {
        const r = await analysis['analysis.run']({ key }, ctx);
        const listed = r.document.findings.filter((f) => f.probability >= r.threshold).length;
        return { findings: listed, analysedAt: r.analysedAt };
      },
      emit: (a) => deps.emit?.('dimse.autoAnalysis', a),
      recordFailure: async (key, code, reason) => {
        const v = vault.current();
        if (!v) return;
        const at = v.seriesLocation(key);
        await v.recordEvent('analysis-failed', at.studyRef, { code, reason, automatic: true }, at.seriesRef);
      },
    });
    vault.onLock(() => queue.clear());
    dimse.onReceived((s, settings) => {
      const v = vault.current();
      if (!v) return;
      const key = v.getSeries(s.seriesRef).key;
      // New instances may have joined the series: a volume decoded before lacks them.
      loaded.delete(key);
      for (const id of [...thumbs.keys()]) if (id.startsWith(`${key}@`)) thumbs.delete(id);
      if (settings.autoAnalyze) queue.enqueue(key, s.receivedFrom);
    });
    return queue;
  }

  return {
    ...analysis,
    ...createVaultHandlers({ session: deps.vault, backend: deps.backend, sources }),
    ...createMeasurementHandlers(measurementStore),
    ...createDimseHandlers(deps.dimse, {
      reportInput: reportInputLoader(analysisDeps),
      ...(deps.vault ? { vault: deps.vault } : {}),
      ...(autoAnalysis ? { autoAnalyses: () => autoAnalysis.list() } : {}),
    }),
    ...createEvalHandlers({
      backend: deps.backend,
      ...(deps.vault ? { vault: deps.vault } : {}),
      ...(deps.inference ? { inference: deps.inference } : {}),
    }),
    'app.info': () => ({
      ...deps.appInfo,
      nativeDialogs: deps.openFolder !== undefined,
      folderBrowser: (deps.browseRoots?.length ?? 0) > 0,
    }),
    'folders.list': ({ path }) => listFolder(browseRoots(), path),
    'folders.locate': async (q) => ({ paths: await locateDropped(browseRoots(), q) }),
    'dialog.openFolder': async () => {
      if (!deps.openFolder) {
        throw new PulmoLensError('INVALID_INPUT', 'no native folder dialog here: type or drop a folder path');
      }
      return { paths: await deps.openFolder() };
    },
    'dicom.scan': async ({ paths }, ctx) => {
      const result = await deps.backend.scan(paths, { signal: ctx.signal, onProgress: ctx.progress });
      for (const s of result.series) {
        // The same series UID found in other files (a copy, a re-export) must not be shown from
        // the volume decoded for the old files.
        const before = scanned.get(s.key);
        if (before && frameSignature(before) !== frameSignature(s)) {
          loaded.delete(s.key);
          for (const id of [...thumbs.keys()]) if (id.startsWith(`${s.key}@`)) thumbs.delete(id);
        }
        scanned.set(s.key, s);
      }
      return { series: result.series.map(summarize), skipped: result.skipped };
    },
    'dicom.loadSeries': async ({ key }, ctx) => {
      const cached = loaded.get(key);
      if (cached) return describeLoaded(cached);
      const l = await deps.backend.load(scannedSeries(key), { signal: ctx.signal, onProgress: ctx.progress });
      loaded.set(key, l);
      while (loaded.size > keep) loaded.delete(loaded.keys().next().value as string);
      return describeLoaded(l);
    },
    'dicom.volumePixels': ({ key }) => {
      const l = loaded.get(key);
      if (!l)
        throw new PulmoLensError('NOT_FOUND', `series ${key} is not loaded: call dicom.loadSeries first`);
      const hu = l.volume.hu;
      return hu.buffer.byteLength === hu.byteLength && hu.buffer instanceof ArrayBuffer
        ? hu.buffer
        : (hu.slice().buffer as ArrayBuffer);
    },
    'dicom.thumbnail': async ({ key, size }, ctx) => {
      const id = `${key}@${size}`;
      const hit = thumbs.get(id);
      if (hit) return hit;
      const s = scannedSeries(key);
      const full = loaded.get(key);
      let thumb;
      if (full) {
        thumb = makeThumbnail(full.volume, Math.floor(full.volume.dims[2] / 2), size);
      } else {
        // Decode only the middle frame: a one-slice series is still a valid series for the core.
        const mid = s.frames[Math.floor(s.frames.length / 2)];
        if (!mid) throw new PulmoLensError('DICOM_NO_IMAGE', `series ${key} has no frames`);
        // (`slot`/`slices` place frames in the volume; the cast keeps older contracts compiling.)
        const single = { ...s, frames: [{ ...mid, slot: 0 }], slices: 1 } as ScannedSeries;
        const one = await deps.backend.load(single, { signal: ctx.signal });
        thumb = makeThumbnail(one.volume, 0, size);
      }
      thumbs.set(id, thumb);
      return thumb;
    },
  };
}
