/**
 * Automatic analysis of received series (the `autoAnalyze` setting), through the real router,
 * handlers and Storage SCP: dcmtk's storescu pushes all of LIDC-IDRI-0001, and the analysis the
 * workspace would run (the same `analysis.run` path, here with the small test models) is stored
 * in the vault under the study and series, with its progress pushed to the study browser. With
 * the setting off nothing is analysed; a failing analysis is shown on its series and audit-logged.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { vaultAnalysisStore } from '../../src/core/findings/analysis-store';
import { inferenceConfig, type InferenceConfig } from '../../src/core/inference';
import { createInProcessBackend } from '../../src/main/dicom/in-process-backend';
import { DimseService } from '../../src/main/dimse-service';
import { createHandlers } from '../../src/main/ipc/handlers';
import { createRouter } from '../../src/main/ipc/router';
import { VaultSessionHolder } from '../../src/main/vault-session';
import type { AutoAnalysis, DimseState } from '../../src/shared/dimse-contract';
import type { IpcResult } from '../../src/shared/ipc-contract';
import { lidcStudy, missingData } from '../support/shared-data';
import { ensureTestModels } from '../support/test-models';
import { freePort } from '../support/dcmtk-peers';

const models = ensureTestModels();
const noDcmtk = spawnSync('storescu', ['--version']).status === 0 ? null : 'dcmtk is not installed';
const skip = missingData('ct/LIDC-IDRI-0001.tar.xz') ?? noDcmtk ?? ('skip' in models ? models.skip : null);
if (skip) console.warn(`[skip] automatic analysis of received series: ${skip}`);
const work = mkdtempSync(join(tmpdir(), 'plv-auto-analysis-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const PASS = 'a long enough test passphrase';
const WEAK = { kdf: { memoryKiB: 1024, iterations: 1, parallelism: 1 }, allowWeakKdf: true };

function run(cmd: string, args: string[]): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args);
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.once('close', (status) => resolve({ status, out }));
  });
}

/** The app's wiring (src/main/index.ts) with a fresh vault, the SCP listening, autoAnalyze as given. */
async function app(name: string, inference: InferenceConfig, autoAnalyze: boolean) {
  const session = new VaultSessionHolder({ dir: join(work, name), ...WEAK });
  const events: Array<{ event: string; payload: unknown }> = [];
  const emit = (event: string, payload: unknown) => events.push({ event, payload });
  const dimse = new DimseService({
    settingsPath: join(work, `${name}.json`),
    vault: session,
    onReceived: (s) => emit('dimse.received', s),
  });
  const router = createRouter(
    createHandlers({
      backend: createInProcessBackend(),
      appInfo: { name: 't', version: '0' },
      vault: session,
      analysisStore: vaultAnalysisStore(session),
      inference,
      dimse,
      emit,
    }),
    emit,
  );
  const call = async <T>(channel: string, payload: unknown = {}): Promise<T> => {
    const r = (await router.invoke(channel, payload)) as IpcResult<T>;
    if (!r.ok) throw new Error(`${channel}: ${r.error.code}: ${r.error.message}`);
    return r.value;
  };
  await call('vault.create', { passphrase: PASS, confirm: PASS, reader: { name: 'Dr Auto' } });
  const port = await freePort();
  const configure = async (on: boolean) => {
    const { settings } = await call<DimseState>('dimse.settings');
    const saved = await call<DimseState>('dimse.saveSettings', {
      settings: {
        ...settings,
        enabled: true,
        port,
        allowedPeers: [{ aeTitle: 'TESTSCU', host: '127.0.0.1' }],
        autoAnalyze: on,
      },
    });
    expect(saved.listening).toEqual({ host: '127.0.0.1', port });
  };
  await configure(autoAnalyze);
  const push = async (files: string[]) => {
    const r = await run('storescu', [
      '-aet',
      'TESTSCU',
      '-aec',
      'PULMOLENS',
      '127.0.0.1',
      String(port),
      ...files,
    ]);
    expect(r.status, r.out).toBe(0);
  };
  const autoStates = () =>
    events.filter((e) => e.event === 'dimse.autoAnalysis').map((e) => e.payload as AutoAnalysis);
  /** Resolves with the last state once the analysis finished or failed. */
  const settled = async (timeoutMs: number): Promise<AutoAnalysis> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const last = autoStates().at(-1);
      if (last && (last.state.kind === 'done' || last.state.kind === 'failed')) return last;
      if (Date.now() > until) throw new Error(`no automatic analysis finished: ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const close = async () => {
    await call('vault.lock');
    await dimse.close();
    router.dispose();
  };
  return { session, events, call, push, configure, autoStates, settled, close };
}

const slices = (): string[] => {
  const dir = lidcStudy('0001').seriesDir;
  return readdirSync(dir)
    .filter((f) => f.endsWith('.dcm'))
    .sort()
    .map((f) => join(dir, f));
};

describe.skipIf(skip)('automatic analysis of series received over DICOM', () => {
  it('analyses LIDC-IDRI-0001 pushed by storescu and stores the analysis under its study and series', async () => {
    const modelsDir = 'dir' in models ? models.dir : '';
    const a = await app('on', inferenceConfig({ modelsDir, provider: 'cpu' }), true);
    try {
      await a.push(slices());
      const last = await a.settled(400_000);
      expect(last.state, JSON.stringify(last.state)).toMatchObject({ kind: 'done' });
      expect(last.receivedFrom).toBe('TESTSCU@127.0.0.1');
      const kinds = a.autoStates().map((s) => s.state.kind);
      expect(kinds[0]).toBe('queued');
      expect(kinds.filter((k) => k === 'running').length).toBeGreaterThan(2); // progress was shown
      expect(a.events.findIndex((e) => e.event === 'dimse.received')).toBeLessThan(
        a.events.findIndex((e) => e.event === 'dimse.autoAnalysis'),
      );

      const v = a.session.require();
      const [study] = v.listStudies();
      expect(study!.series).toHaveLength(1);
      const series = study!.series[0]!;
      expect(last.key).toBe(series.key);
      const stored = await vaultAnalysisStore(a.session).loadAnalysis(series.key);
      expect(stored?.document.seriesInstanceUid).toBe(series.seriesInstanceUid);
      expect(stored?.heatmap.dims).toEqual([512, 512, 133]);
      // Stored where the workspace finds it: under the study and series, as analysis objects.
      const objects = v.listObjects({ studyRef: study!.ref, kind: 'analysis' });
      expect(objects.filter((o) => o.seriesRef === series.ref)).toHaveLength(2);
      const opened = await a.call<{ key: string; stored: boolean } | null>('analysis.get', {
        key: series.key,
      });
      expect(opened).toMatchObject({ key: series.key, stored: true });
      const listed = await a.call<{ analyses: AutoAnalysis[] }>('dimse.autoAnalyses');
      expect(listed.analyses).toEqual([last]);
      expect((await v.auditEntries()).some((e) => e.event === 'study-analysed')).toBe(true);
    } finally {
      await a.close();
    }
  }, 600_000);

  it('analyses nothing when the setting is off, and shows a failing analysis on its series', async () => {
    // A models folder without models: the analysis fails (as it would with damaged models).
    const a = await app(
      'off',
      inferenceConfig({ modelsDir: join(work, 'no-models'), provider: 'cpu' }),
      false,
    );
    try {
      const few = slices().slice(60, 63);
      await a.push(few);
      expect(a.events.some((e) => e.event === 'dimse.received')).toBe(true);
      await new Promise((r) => setTimeout(r, 1000));
      expect(a.autoStates()).toEqual([]);
      expect(await a.call('dimse.autoAnalyses')).toEqual({ analyses: [] });
      const v = a.session.require();
      expect(v.listObjects({ kind: 'analysis' })).toEqual([]);

      await a.configure(true);
      await a.push(few);
      const last = await a.settled(60_000);
      expect(last.state).toMatchObject({ kind: 'failed', code: 'MODEL_MISSING' });
      expect(last.state.kind === 'failed' && last.state.message).toMatch(/no-models/);
      const failed = (await v.auditEntries()).filter((e) => e.event === 'analysis-failed');
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({
        studyRef: v.listStudies()[0]!.ref,
        details: { code: 'MODEL_MISSING', automatic: true },
      });
      expect(v.listObjects({ kind: 'analysis' })).toEqual([]);
    } finally {
      await a.close();
    }
  }, 120_000);
});
