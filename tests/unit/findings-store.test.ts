/**
 * The renderer's findings and evaluation stores against the real main-process handlers (validated
 * through the IPC contract's schemas, memory store): stored analyses open without a run, rows are
 * sorted by risk above the threshold, edits update category and risk live, "reviewed" only when
 * every finding has a decision, and the evaluation inputs are checked before a run.
 */
import { describe, expect, it } from 'vitest';
import type { Finding, FindingsDocument } from '../../src/common/findings/findings-document';
import { createAnalysisHandlers } from '../../src/main/ipc/analysis-handlers';
import { memoryAnalysisStore } from '../../src/core/findings/analysis-store';
import { createInProcessBackend } from '../../src/main/dicom/in-process-backend';
import { createEvalHandlers } from '../../src/main/ipc/eval-handlers';
import { toIpcError, type HandlerContext } from '../../src/main/ipc/router';
import { requestSchemas, type PulmoLensApi } from '../../src/shared/ipc-contract';
import { createEvalStore, evalRequest } from '../../src/renderer/store/eval-store';
import { createFindingsStore, panelRows, reviewState } from '../../src/renderer/store/findings-store';

function finding(id: string, probability: number, over: Partial<Finding> = {}): Finding {
  return {
    id,
    centerLps: [10, 20, -100],
    centerVoxel: [100, 120, 30],
    probability,
    diameterMm: 7,
    longAxisMm: 8,
    shortAxisMm: 6,
    volumeMm3: 180,
    meanHu: -30,
    type: 'solid',
    spiculated: false,
    malignancyRisk: 0.05,
    lungRads: '3',
    fleischner: 'Fleischner 2017, multiple solid nodule 7 mm, low risk: CT at 3-6 months',
    ...over,
  };
}

const document: FindingsDocument = {
  seriesInstanceUid: '1.2.3',
  model: { name: 'pulmolens-detector', version: '0.1.0', sha256: 'cd'.repeat(32) },
  executionProvider: 'cpu',
  timingsMs: {},
  findings: [
    finding('low-risk', 0.95),
    finding('high-risk', 0.6, {
      malignancyRisk: 0.3,
      longAxisMm: 16,
      shortAxisMm: 12,
      diameterMm: 14,
      lungRads: '4B',
    }),
    finding('below-threshold', 0.3),
  ],
};

/** window.api over the real handlers, with the contract's validation in front, as the router does. */
async function realApi(): Promise<PulmoLensApi & { progress: (taskId: string) => void }> {
  const store = memoryAnalysisStore();
  await store.saveAnalysis(
    {
      key: 'k1',
      document,
      analysedAt: '2026-11-22T10:00:00.000Z',
      heatmap: {
        dims: [2, 2, 1],
        spacingMm: [1, 1, 1],
        originLps: [0, 0, 0],
        direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
      },
      warnings: [],
    },
    Uint8Array.of(0, 64, 128, 255),
  );
  const handlers = {
    ...createAnalysisHandlers({
      series: async () => {
        throw new Error('not loaded');
      },
      store,
      reviewer: () => 'dr-b',
    }),
    ...createEvalHandlers({ backend: createInProcessBackend() }),
  } as Record<string, (req: unknown, ctx: HandlerContext) => unknown>;
  const listeners = new Set<(p: { taskId: string; done: number; total: number; stage: string }) => void>();
  return {
    async invoke(channel, request) {
      try {
        const req = requestSchemas[channel].parse(request ?? {});
        const ctx: HandlerContext = { signal: new AbortController().signal, progress: () => {} };
        return { ok: true, value: (await handlers[channel]!(req, ctx)) as never };
      } catch (e) {
        return { ok: false, error: toIpcError(channel, e) };
      }
    },
    on(_event, l) {
      listeners.add(l as never);
      return () => listeners.delete(l as never);
    },
    progress(taskId) {
      for (const l of listeners) l({ taskId, done: 1, total: 2, stage: 'x' });
    },
  };
}

describe('findings store', () => {
  it('shows a stored analysis without running, rows above the threshold sorted by risk', async () => {
    const api = await realApi();
    const store = createFindingsStore(api);
    await store.getState().open('nothing-here');
    expect(store.getState().status.kind).toBe('none');
    await store.getState().open('k1');
    const s = store.getState();
    expect(s.status.kind).toBe('ready');
    expect(s.analysis?.stored).toBe(true);
    expect(panelRows(s).map((r) => r.finding.id)).toEqual(['high-risk', 'low-risk']);
    expect(s.selectedId).toBe('high-risk');
    expect([...(s.heatmap ?? [])]).toEqual([0, 64, 128, 255]);
    expect(store.getState().step(1)).toBe('low-risk');
    expect(store.getState().step(1)).toBe('low-risk'); // stays on the last row
    expect(store.getState().step(-5)).toBe('high-risk');
  });

  it('edits update category and risk live; reviewed only once every finding has a decision', async () => {
    const store = createFindingsStore(await realApi());
    await store.getState().open('k1');
    expect(reviewState(store.getState())).toEqual({ reviewed: false, examCategory: '1' });
    await store.getState().decide('low-risk', {
      kind: 'edited',
      measurement: { longAxisMm: 20, shortAxisMm: 18 },
      type: 'solid',
    });
    const edited = panelRows(store.getState()).find((r) => r.finding.id === 'low-risk')!;
    expect(edited.status).toBe('edited');
    expect(edited.finding.diameterMm).toBe(19);
    expect(edited.finding.lungRads).toBe('4B');
    expect(edited.finding.malignancyRisk).toBeGreaterThan(0.05);
    // Stored by the main process with its reviewer, not the renderer's.
    expect(store.getState().review?.decisions['low-risk']).toMatchObject({
      kind: 'edited',
      reviewer: 'dr-b',
    });
    expect(reviewState(store.getState()).reviewed).toBe(false);
    await store.getState().decide('high-risk', { kind: 'rejected' });
    expect(reviewState(store.getState())).toEqual({ reviewed: true, examCategory: '4B' });
    expect(store.getState().saveError).toBeNull();
  });

  it('says on the row while a decision is being saved, and when the main process refused it', async () => {
    const api = await realApi();
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    // The real handlers behind a gate, so the in-between state can be seen.
    const gated: PulmoLensApi = {
      ...api,
      async invoke(channel, request) {
        if (channel === 'review.save') await gate;
        return api.invoke(channel, request);
      },
    };
    const store = createFindingsStore(gated);
    await store.getState().open('k1');
    const pending = store.getState().decide('low-risk', { kind: 'accepted' });
    expect(store.getState().rowSaves['low-risk']).toEqual({ kind: 'saving' });
    expect(panelRows(store.getState()).find((r) => r.finding.id === 'low-risk')?.status).toBe('accepted');
    release();
    await pending;
    expect(store.getState().rowSaves['low-risk']).toBeUndefined();
    expect(store.getState().review?.decisions['low-risk']?.kind).toBe('accepted');

    // A decision the main process refuses (no such finding in the analysis): rolled back, and the
    // row says so instead of claiming more than the vault holds.
    const before = store.getState().review;
    await store.getState().decide('no-such-finding', { kind: 'accepted' });
    const failed = store.getState().rowSaves['no-such-finding'];
    expect(failed?.kind).toBe('failed');
    if (failed?.kind === 'failed') expect(failed.error.message).toMatch(/no finding no-such-finding/);
    expect(store.getState().review).toEqual(before);
  });

  it('refuses an edit whose short axis is longer than the long one and keeps the review', async () => {
    const store = createFindingsStore(await realApi());
    await store.getState().open('k1');
    await expect(
      store.getState().decide('low-risk', {
        kind: 'edited',
        measurement: { longAxisMm: 5, shortAxisMm: 9 },
        type: 'solid',
      }),
    ).rejects.toThrow(/short axis <= long axis/);
    expect(store.getState().review?.decisions['low-risk']).toBeUndefined();
  });
});

describe('evaluation store', () => {
  it('checks its inputs and maps them to the eval.run request', async () => {
    const store = createEvalStore(await realApi());
    expect(store.getState().problem()).toBe('choose the studies folder');
    store.getState().setInput('studies', '/nope/studies');
    expect(store.getState().problem()).toBe('choose the annotation CSV');
    store
      .getState()
      .setFile('annotations', { name: 'a.csv', text: 'seriesuid,coordX,coordY,coordZ,diameter_mm\n' });
    store.getState().setInput('threshold', '1.5');
    expect(store.getState().problem()).toMatch(/probability/);
    store.getState().setInput('threshold', ' 0.4 ');
    expect(store.getState().problem()).toMatch(/results are written/);
    store.getState().setInput('outDir', '/nope/out');
    expect(store.getState().problem()).toBeNull();
    expect(evalRequest(store.getState().inputs, store.getState().files)).toEqual({
      studies: '/nope/studies',
      annotationsFile: { name: 'a.csv', text: 'seriesuid,coordX,coordY,coordZ,diameter_mm\n' },
      threshold: 0.4,
      outDir: '/nope/out',
    });
    store.getState().setInput('includeTrainingScans', 'yes');
    expect(evalRequest(store.getState().inputs, store.getState().files)).toMatchObject({
      includeTrainingScans: true,
    });
    // Scoring against the vault's reviews needs only the results folder.
    store.getState().setReference('reviews');
    store.getState().setInput('studies', '');
    expect(store.getState().problem()).toBeNull();
  });

  it('reports a missing studies folder from the real handler, and opens a spot in the viewer', async () => {
    const store = createEvalStore(await realApi());
    store.getState().setInput('studies', '/nope/studies');
    store.getState().setFile('annotations', { name: 'a.csv', text: 'x' });
    store.getState().setInput('outDir', '/nope/out');
    await store.getState().run();
    const st = store.getState().status;
    expect(st.kind).toBe('failed');
    if (st.kind === 'failed') {
      expect(st.error.code).toBe('NOT_FOUND');
      expect(st.error.path).toBe('/nope/studies');
    }
    store.getState().setPage('evaluation');
    store.getState().openSpot({ seriesInstanceUid: '1.2.3', centerLps: [1, 2, 3] });
    expect(store.getState().page).toBe('viewer');
    expect(store.getState().goto).toEqual({ seriesInstanceUid: '1.2.3', centerLps: [1, 2, 3] });
  });
});
