/**
 * The study browser's store, driven through the real router and core (in-process backend) exactly
 * as the renderer drives `window.api`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createInProcessBackend } from '../../src/main/dicom/in-process-backend';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHandlers } from '../../src/main/ipc/handlers';
import { VaultSessionHolder } from '../../src/main/vault-session';
import { createRouter } from '../../src/main/ipc/router';
import { createStudyStore, groupByStudy } from '../../src/renderer/store/study-store';
import type { EventPayloads, PulmoLensApi } from '../../src/shared/ipc-contract';
import type { ScannedSeriesSummary } from '../../src/shared/series';
import { lidcStudy, missingData } from '../support/shared-data';

const vaultRoot = mkdtempSync(join(tmpdir(), 'pulmolens-store-vault-'));
afterAll(() => rmSync(vaultRoot, { recursive: true, force: true }));
let vaults = 0;

/** The real handlers over a fresh, unlocked vault: importing goes through the vault. */
async function realApi(): Promise<{ api: PulmoLensApi; progress: EventPayloads['task.progress'][] }> {
  const progress: EventPayloads['task.progress'][] = [];
  const listeners = new Set<(p: EventPayloads['task.progress']) => void>();
  // Low Argon2id cost: these tests are about the store, not the KDF (see docs/vault.md).
  const vault = new VaultSessionHolder({
    dir: join(vaultRoot, `v${vaults++}`),
    kdf: { memoryKiB: 1024, iterations: 1, parallelism: 1 },
    allowWeakKdf: true,
  });
  await vault.create('store test passphrase 1');
  const router = createRouter(
    createHandlers({ backend: createInProcessBackend(), appInfo: { name: 't', version: '0' }, vault }),
    (event, payload) => {
      if (event !== 'task.progress') return;
      const p = payload as EventPayloads['task.progress'];
      progress.push(p);
      for (const l of listeners) l(p);
    },
  );
  const api: PulmoLensApi = {
    invoke: (channel, request) => router.invoke(channel, request) as never,
    on: (_event, listener) => {
      listeners.add(listener as never);
      return () => listeners.delete(listener as never);
    },
  };
  return { api, progress };
}

const summary = (over: Partial<ScannedSeriesSummary['metadata']>, key: string): ScannedSeriesSummary =>
  ({
    key,
    rows: 512,
    columns: 512,
    sliceCount: 10,
    spacingMm: [1, 1, 1],
    transferSyntaxes: [],
    warnings: [],
    metadata: { studyInstanceUid: 'S1', studyDate: '20200101', seriesNumber: 1, ...over },
  }) as ScannedSeriesSummary;

describe('groupByStudy', () => {
  it('groups series by study, newest study first, series by number', () => {
    const g = groupByStudy([
      summary({ studyInstanceUid: 'old', studyDate: '20100101', seriesNumber: 2 }, 'a'),
      summary({ studyInstanceUid: 'new', studyDate: '20200101', seriesNumber: 5 }, 'b'),
      summary({ studyInstanceUid: 'new', studyDate: '20200101', seriesNumber: 3 }, 'c'),
      summary({ studyInstanceUid: 'new', studyDate: '20200101', seriesNumber: null }, 'd'),
    ]);
    expect(g.map((s) => s.studyInstanceUid)).toEqual(['new', 'old']);
    expect(g[0]!.series.map((s) => s.key)).toEqual(['c', 'b', 'd']);
  });
});

describe('study store failure states', () => {
  it('ignores an empty path list', async () => {
    const store = createStudyStore((await realApi()).api);
    await store.getState().scanFolder(['  ', '']);
    expect(store.getState().scan.kind).toBe('idle');
  });

  it('reports a series that is not in the vault as failed with the core reason', async () => {
    const store = createStudyStore((await realApi()).api);
    await store.getState().openSeries('1.2.3.nope');
    const open = store.getState().open;
    expect(open.kind).toBe('failed');
    if (open.kind !== 'failed') return;
    expect(open.error.code).toBe('NOT_FOUND');
    expect(open.error.message).toContain('1.2.3.nope');
  });

  it('a folder with no DICOM ends scanned-but-empty or failed, never loading', async () => {
    const store = createStudyStore((await realApi()).api);
    await store.getState().scanFolder(['/definitely/not/here']);
    const s = store.getState();
    expect(['done', 'failed']).toContain(s.scan.kind);
    expect(s.series).toEqual([]);
  });
});

const skip = missingData('ct/LIDC-IDRI-0001.tar.xz');

describe.skipIf(skip !== null)('study store on LIDC-IDRI-0001', () => {
  it('imports into the vault, lists skipped files, makes a thumbnail and opens the series with its pixels', async () => {
    const { api, progress } = await realApi();
    const store = createStudyStore(api);
    api.on('task.progress', (p) => store.getState().onProgress(p.taskId, p));
    const study = lidcStudy('0001');

    const scanning = store.getState().scanFolder([study.root]);
    expect(store.getState().scan.kind).toBe('scanning');
    await scanning;
    const s = store.getState();
    expect(s.scan.kind).toBe('done');
    expect(s.series).toHaveLength(1);
    expect(s.series[0]!.sliceCount).toBe(133);
    expect(s.skipped).toHaveLength(1);
    expect(s.skipped[0]!.code).toBe('DICOM_NOT_DICOM');
    const key = s.series[0]!.key;
    expect(s.thumbnails[key]?.gray).toHaveLength(96 * 96);

    await store.getState().openSeries(key);
    const open = store.getState().open;
    expect(open.kind).toBe('loaded');
    if (open.kind !== 'loaded') return;
    expect(open.info.geometry.dims).toEqual([512, 512, 133]);
    expect(open.pixels.byteLength).toBe(512 * 512 * 133 * 2);
    expect(progress.some((p) => p.taskId.startsWith('load-'))).toBe(true);
  });
});
