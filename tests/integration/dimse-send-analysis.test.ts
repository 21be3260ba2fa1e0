/**
 * Sending a reviewed analysis stored in the vault to a PACS, built in memory (nothing plaintext on
 * disk): `pulmolens send --vault DIR <series>` and the workspace's `dimse.sendAnalysis` channel,
 * both to dcmtk's storescp, with dsrdump/dcmdump reading what arrived. The analysis is the
 * hand-built LIDC-IDRI-0001 one of the report tests, stored in the vault as the app stores it.
 * An unreviewed analysis is refused; refused and unreachable destinations give errors a person
 * can act on, and the unreachable one waits in the vault's retry queue until `dimse.retryQueue`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decide, emptyReview } from '../../src/common/review';
import { scanDicomInputs } from '../../src/core/dicom';
import { readOutbox } from '../../src/core/dimse';
import { vaultAnalysisStore } from '../../src/core/findings/analysis-store';
import { createVault, openVault } from '../../src/core/vault';
import { createInProcessBackend } from '../../src/main/dicom/in-process-backend';
import { DimseService } from '../../src/main/dimse-service';
import { createHandlers } from '../../src/main/ipc/handlers';
import { createRouter } from '../../src/main/ipc/router';
import { VaultSessionHolder } from '../../src/main/vault-session';
import type { DimseState, SentAnalysis } from '../../src/shared/dimse-contract';
import type { IpcResult } from '../../src/shared/ipc-contract';
import { lidcStudy, missingData, repoRoot } from '../support/shared-data';
import { lidcFixture } from './report-lidc-fixture';
import { freePort, startStorescp } from '../support/dcmtk-peers';

const noData = missingData('ct/LIDC-IDRI-0001.tar.xz');
const noDcmtk =
  spawnSync('storescp', ['--version']).status === 0 ? null : 'dcmtk (storescp) is not installed';
if (noDcmtk) console.warn(`[skip] ${noDcmtk}`);
const skip = noData ?? noDcmtk;
const WEAK = {
  kdf: { memoryKiB: 256, iterations: 1, parallelism: 1 },
  allowWeakKdf: true,
  idleLockMs: 0,
} as const;
const PASS = 'pw';

const work = mkdtempSync(join(tmpdir(), 'plv-send-analysis-'));
const vaultDir = join(work, 'vault');
let seriesUid = '';
let seriesKey = '';
const peers: ChildProcess[] = [];
afterEach(() => {
  for (const p of peers.splice(0)) if (p.exitCode === null) p.kill('SIGTERM');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** LIDC-IDRI-0001 in a vault with the fixture's analysis (two findings), not yet reviewed. */
beforeAll(async () => {
  if (skip) return;
  const v = await createVault(vaultDir, PASS, WEAK);
  const scan = await scanDicomInputs([lidcStudy('0001').seriesDir]);
  const imported = await v.importSeries(scan.series[0]!);
  const rec = v.getSeries(imported.seriesRef);
  seriesKey = rec.key;
  seriesUid = rec.metadata.seriesInstanceUid;
  const fx = await lidcFixture();
  const { data, ...grid } = fx.heatmap;
  await vaultAnalysisStore({ require: () => v }).saveAnalysis(
    {
      key: rec.key,
      document: fx.document,
      analysedAt: new Date().toISOString(),
      heatmap: grid,
      warnings: [],
    },
    data,
  );
  await v.lock();
}, 300_000);

async function review(): Promise<void> {
  const v = await openVault(vaultDir, PASS, { idleLockMs: 0 });
  const at = '2026-12-02T02:00:00.000Z';
  let r = emptyReview(seriesUid);
  r = decide(r, 'F001', { kind: 'accepted', reviewer: 'Reader^Rita', at });
  r = decide(r, 'F002', { kind: 'rejected', reviewer: 'Reader^Rita', at });
  await vaultAnalysisStore({ require: () => v }).saveReview(seriesKey, r);
  await v.lock();
}

async function storescp(port: number, dir: string, extra: string[] = []): Promise<void> {
  peers.push(await startStorescp(port, dir, extra));
}

function cli(args: string[], cwd: string, tmp: string) {
  return new Promise<{ status: number | null; out: string; err: string }>((resolve) => {
    const p = spawn('node', [join(repoRoot, 'bin', 'pulmolens.mjs'), ...args], {
      cwd,
      env: { ...process.env, PULMOLENS_PASSPHRASE: PASS, PULMOLENS_VAULT: '', TMPDIR: tmp, TMP: tmp },
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.once('close', (status) => resolve({ status, out, err }));
  });
}

/** dcmdump of every received file, and dsrdump of the SR. */
function readInbox(inbox: string): { text: string; sr: string; files: string[] } {
  const files = readdirSync(inbox).map((f) => join(inbox, f));
  const dumps = files.map((f) => spawnSync('dcmdump', [f], { encoding: 'utf8' }));
  expect(dumps.every((d) => d.status === 0)).toBe(true);
  const srFile = files[dumps.findIndex((d) => /Comprehensive3DSRStorage/.test(d.stdout))]!;
  const sr = spawnSync('dsrdump', [srFile], { encoding: 'utf8' });
  expect(sr.status).toBe(0);
  return { text: dumps.map((d) => d.stdout).join('\n'), sr: sr.stdout, files };
}

describe.skipIf(skip)('sending a reviewed analysis from the vault (SR, parametric map, PDF)', () => {
  it('pulmolens send --vault: refuses before review, then sends the three objects built in memory', async () => {
    const port = await freePort();
    const inbox = join(work, 'cli-inbox');
    await storescp(port, inbox);
    const cwd = mkdtempSync(join(work, 'cwd-'));
    const tmp = mkdtempSync(join(work, 'tmp-'));
    const args = ['send', '--vault', vaultDir, seriesUid, '--to', `ARCHIVE@127.0.0.1:${port}`];

    const early = await cli(args, cwd, tmp);
    expect(early.status).toBe(1);
    expect(early.err).toMatch(/not reviewed yet: accept, edit or reject its 2 open finding\(s\) first/);
    expect(readdirSync(inbox)).toEqual([]);

    await review();
    const r = await cli(args, cwd, tmp);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/sent 3 object\(s\) to ARCHIVE@127\.0\.0\.1:\d+/);
    const got = readInbox(inbox);
    expect(got.files).toHaveLength(3);
    expect(got.text).toMatch(/=Comprehensive3DSRStorage/);
    expect(got.text).toMatch(/=ParametricMapStorage|1\.2\.840\.10008\.5\.1\.4\.1\.1\.30/);
    expect(got.text).toMatch(/=EncapsulatedPDFStorage/);
    expect(got.text).toContain(`[${seriesUid}]`); // the SR and the map reference the CT series
    expect(got.sr).toMatch(/Imaging Measurement Report/);
    // One accepted finding is reported, the rejected one is not.
    expect(got.sr.match(/Measurement Group/g)?.length).toBe(1);
    // Nothing plaintext written by the command: its folder and its TMPDIR stay empty (tsx, which
    // runs the CLI from source here, keeps its compile cache there).
    expect(readdirSync(cwd)).toEqual([]);
    expect(readdirSync(tmp).filter((f) => !f.startsWith('tsx-'))).toEqual([]);

    const v = await openVault(vaultDir, PASS, { idleLockMs: 0 });
    const sent = (await v.auditEntries()).filter((e) => e.event === 'study-sent');
    expect(sent.at(-1)).toMatchObject({ studyRef: v.seriesLocation(seriesKey).studyRef });
    await v.lock();
  }, 240_000);

  it('dimse.sendAnalysis: progress, delivery, typed refusals, and the retry queue', async () => {
    const session = new VaultSessionHolder({ dir: vaultDir, ...WEAK });
    const dimse = new DimseService({ settingsPath: join(work, 'dicom-network.json'), vault: session });
    const events: Array<{ event: string; payload: unknown }> = [];
    const router = createRouter(
      createHandlers({
        backend: createInProcessBackend(),
        appInfo: { name: 't', version: '0' },
        vault: session,
        analysisStore: vaultAnalysisStore(session),
        dimse,
      }),
      (event, payload) => events.push({ event, payload }),
    );
    const invoke = <T>(channel: string, payload: unknown = {}) =>
      router.invoke(channel, payload) as Promise<IpcResult<T>>;
    const call = async <T>(channel: string, payload: unknown = {}): Promise<T> => {
      const r = await invoke<T>(channel, payload);
      if (!r.ok) throw new Error(`${channel}: ${r.error.code}: ${r.error.message}`);
      return r.value;
    };
    const setDestination = async (port: number) => {
      const { settings } = await call<DimseState>('dimse.settings');
      await call('dimse.saveSettings', {
        settings: { ...settings, destination: { aeTitle: 'ARCHIVE', host: '127.0.0.1', port } },
      });
    };
    await review();
    await call('vault.unlock', { passphrase: PASS, reader: { name: 'Dr Send' } });
    try {
      const none = await invoke('dimse.sendAnalysis', { key: seriesKey });
      expect(none.ok ? null : none.error).toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(/no PACS destination is set/),
      });
      const bad = await invoke('dimse.saveSettings', {
        settings: {
          ...(await call<DimseState>('dimse.settings')).settings,
          destination: { aeTitle: 'ARCHIVE', host: 'pacs.example', port: 104 },
        },
      });
      expect(bad.ok ? null : bad.error.code).toBe('IPC_INVALID_PAYLOAD');

      const port = await freePort();
      const inbox = join(work, 'app-inbox');
      await storescp(port, inbox);
      await setDestination(port);
      const sent = await call<SentAnalysis>('dimse.sendAnalysis', { key: seriesKey, taskId: 'send-1' });
      expect(sent).toEqual({
        destination: `ARCHIVE@127.0.0.1:${port}`,
        objects: ['report-sr.dcm', 'heatmap-pmap.dcm', 'report-pdf.dcm'],
      });
      const stages = events
        .filter((e) => e.event === 'task.progress')
        .map((e) => (e.payload as { stage: string }).stage);
      // Decoding the series from the vault reports its own progress in between.
      expect(stages[0]).toBe('building the report');
      expect(stages.slice(-2)).toEqual([`sending to ARCHIVE@127.0.0.1:${port}`, 'sent']);
      const got = readInbox(inbox);
      expect(got.files).toHaveLength(3);
      expect(got.text).toMatch(/=EncapsulatedPDFStorage/);
      expect(got.sr).toMatch(/Imaging Measurement Report/);

      // Refused association: a typed error naming the peer and the reason.
      const refusing = await freePort();
      await storescp(refusing, join(work, 'refusing'), ['--refuse']);
      await setDestination(refusing);
      const refused = await invoke('dimse.sendAnalysis', { key: seriesKey });
      expect(refused.ok ? null : refused.error).toMatchObject({
        code: 'DIMSE_REFUSED',
        message: expect.stringMatching(
          /ARCHIVE@127\.0\.0\.1:\d+ refused the association.*queued in the vault/,
        ),
      });

      // Nobody listening: DIMSE_NETWORK, queued; delivered by dimse.retryQueue once the PACS is up.
      const late = await freePort();
      await setDestination(late);
      const unreachable = await invoke('dimse.sendAnalysis', { key: seriesKey });
      expect(unreachable.ok ? null : unreachable.error).toMatchObject({
        code: 'DIMSE_NETWORK',
        message: expect.stringMatching(/cannot reach ARCHIVE@127\.0\.0\.1:\d+.*queued in the vault/),
      });
      expect(await readOutbox(session.require())).toHaveLength(2);
      const lateInbox = join(work, 'late-inbox');
      await storescp(late, lateInbox);
      const retried = await call<{ delivered: number; stillQueued: unknown[] }>('dimse.retryQueue');
      // The refusing peer still refuses; the late one received its three objects.
      expect(retried.delivered).toBe(1);
      expect(retried.stillQueued).toHaveLength(1);
      expect(readdirSync(lateInbox)).toHaveLength(3);

      const audit = await session.require().auditEntries();
      const where = session.require().seriesLocation(seriesKey);
      expect(audit.filter((e) => e.event === 'send-failed' && e.seriesRef === where.seriesRef)).toHaveLength(
        2,
      );
      expect(audit.some((e) => e.event === 'study-sent' && e.seriesRef === where.seriesRef)).toBe(true);
    } finally {
      await call('vault.lock');
      await dimse.close();
      router.dispose();
    }
  }, 240_000);
});
