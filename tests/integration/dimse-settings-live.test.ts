/**
 * The DICOM network settings screen's channels against real dcmtk peers: a saved change moves the
 * Storage SCP to the new port and AE title at once (echoscu answers there, not at the old one), a
 * port another program holds is refused next to the port field while the running listener stays,
 * every change is audit-logged under the reader's name, and "Verify (C-ECHO)" echoes a real
 * storescp. Then the retry queue: a send that failed is delivered to a storescp started later,
 * by the timer and at unlock, without anyone pressing "Retry queued sends".
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readOutbox, sendOrQueue } from '../../src/core/dimse';
import { generatePhantom } from '../../src/core/synth';
import { phantomToDicom } from '../../src/core/synth/dicom-series';
import { createInProcessBackend } from '../../src/main/dicom/in-process-backend';
import { DimseService } from '../../src/main/dimse-service';
import { createHandlers } from '../../src/main/ipc/handlers';
import { createRouter } from '../../src/main/ipc/router';
import { VaultSessionHolder } from '../../src/main/vault-session';
import type { DimseState } from '../../src/shared/dimse-contract';
import type { IpcResult } from '../../src/shared/ipc-contract';
import { freePort, startStorescp } from '../support/dcmtk-peers';

const skip = spawnSync('storescp', ['--version']).status === 0 ? null : 'dcmtk is not installed';
const work = mkdtempSync(join(tmpdir(), 'pulmolens-dimse-live-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill();
  rmSync(work, { recursive: true, force: true });
});
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

const echoscu = (aec: string, port: number) =>
  run('echoscu', ['-to', '5', '-aet', 'TESTSCU', '-aec', aec, '127.0.0.1', String(port)]);

async function storescp(port: number, dir: string): Promise<ChildProcess> {
  const p = await startStorescp(port, dir);
  children.push(p);
  return p;
}

function stop(p: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (p.exitCode !== null || p.signalCode !== null) return r();
    p.once('exit', () => r());
    p.kill();
  });
}

function app(name: string, retryDelaysMs?: number[]) {
  const session = new VaultSessionHolder({ dir: join(work, name, 'vault'), ...WEAK });
  const settingsPath = join(work, name, 'dicom-network.json');
  const dimse = new DimseService({
    settingsPath,
    vault: session,
    ...(retryDelaysMs ? { retryDelaysMs } : {}),
  });
  const events: Array<{ event: string; payload: unknown }> = [];
  const router = createRouter(
    createHandlers({
      backend: createInProcessBackend(),
      appInfo: { name: 't', version: '0' },
      vault: session,
      dimse,
      emit: (event, payload) => events.push({ event, payload }),
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
  return { session, settingsPath, dimse, events, invoke, call };
}

/** Two synthetic CT slices (no patient data): what a queued send carries. */
function syntheticObjects() {
  const series = phantomToDicom(
    generatePhantom({ seed: 14, dims: [32, 32, 8], spacingMm: [1, 1, 1], nodules: 0 }),
  );
  return series.files.slice(0, 2).map((f) => ({ name: f.name, bytes: f.bytes }));
}

describe.skipIf(skip)('DICOM network settings, applied live, with real dcmtk peers', () => {
  it('moves the SCP to the new port and AE title; a taken port keeps the old listener; audit-logged', async () => {
    const a = app('live');
    let squatter: Server | null = null;
    try {
      await a.call('vault.create', { passphrase: PASS, confirm: PASS, reader: { name: 'Dr Network' } });
      const { settings } = await a.call<DimseState>('dimse.settings');
      const [portA, portB] = [await freePort(), await freePort()];
      const first = await a.call<DimseState>('dimse.saveSettings', {
        settings: {
          ...settings,
          enabled: true,
          port: portA,
          allowedPeers: [{ aeTitle: 'TESTSCU', host: '127.0.0.1' }],
        },
      });
      expect(first.listener).toEqual({
        kind: 'listening',
        host: '127.0.0.1',
        port: portA,
        aeTitle: 'PULMOLENS',
      });
      expect((await echoscu('PULMOLENS', portA)).status).toBe(0);

      // New port and AE title: applied at once, the old port is closed.
      const moved = await a.call<DimseState>('dimse.saveSettings', {
        settings: { ...first.settings, port: portB, aeTitle: 'PLNEW' },
      });
      expect(moved.listener).toEqual({ kind: 'listening', host: '127.0.0.1', port: portB, aeTitle: 'PLNEW' });
      const echoB = await echoscu('PLNEW', portB);
      expect(echoB.status, echoB.out).toBe(0);
      expect((await echoscu('PULMOLENS', portA)).status).not.toBe(0);
      // The wrong called AE title is refused at association.
      expect((await echoscu('PULMOLENS', portB)).status).not.toBe(0);

      // A port another program holds: a clear error on the port field; nothing else changes.
      squatter = createServer();
      await new Promise<void>((r) => squatter!.listen(0, '127.0.0.1', r));
      const taken = (squatter.address() as { port: number }).port;
      const refused = await a.invoke<DimseState>('dimse.saveSettings', {
        settings: { ...moved.settings, port: taken },
      });
      expect(refused.ok ? null : refused.error).toMatchObject({
        code: 'INVALID_INPUT',
        message: `port ${taken} is already in use on 127.0.0.1 (another program listens there): choose another port`,
        issues: [{ path: 'port' }],
      });
      const after = await a.call<DimseState>('dimse.settings');
      expect(after.listener).toEqual({ kind: 'listening', host: '127.0.0.1', port: portB, aeTitle: 'PLNEW' });
      expect(after.settings.port).toBe(portB);
      expect(JSON.parse(readFileSync(a.settingsPath, 'utf8'))).toMatchObject({
        port: portB,
        aeTitle: 'PLNEW',
      });
      expect((await echoscu('PLNEW', portB)).status).toBe(0);

      // Field-level messages a person can act on, from the one schema.
      const bad = await a.invoke('dimse.saveSettings', {
        settings: { ...after.settings, port: 70000, aeTitle: 'A_TITLE_OF_17_CHR' },
      });
      const issues = bad.ok ? [] : (bad.error.issues ?? []);
      expect(issues).toEqual(
        expect.arrayContaining([
          { path: 'settings.port', message: 'port 70000 is not between 1 and 65535' },
          { path: 'settings.aeTitle', message: 'AE title "A_TITLE_OF_17_CHR" is longer than 16 characters' },
        ]),
      );

      const changes = (await a.session.current()!.auditEntries()).filter(
        (e) => e.event === 'dimse-settings-changed',
      );
      expect(changes).toHaveLength(2);
      expect(changes.every((e) => e.user.includes('Dr Network'))).toBe(true);
      expect(changes[1]!.details).toMatchObject({
        changed: 'aeTitle,port',
        listening: `PLNEW@127.0.0.1:${portB}`,
      });
      // The screen follows the listener live.
      expect(a.events.some((e) => e.event === 'dimse.state')).toBe(true);

      // Turned off: the listener stops.
      const off = await a.call<DimseState>('dimse.saveSettings', {
        settings: { ...after.settings, enabled: false },
      });
      expect(off.listener).toEqual({ kind: 'off', why: 'disabled' });
      expect((await echoscu('PLNEW', portB)).status).not.toBe(0);
    } finally {
      await new Promise<void>((r) => (squatter ? squatter.close(() => r()) : r()));
      await a.session.lock('manual').catch(() => undefined);
      await a.dimse.close();
    }
  }, 120_000);

  it('Verify (C-ECHO) echoes a real storescp, and says why when nobody answers', async () => {
    const a = app('verify');
    const port = await freePort();
    const pacs = await storescp(port, mkdtempSync(join(work, 'verify-inbox-')));
    try {
      const ok = await a.call<{ destination: string; ms: number }>('dimse.verify', {
        destination: { aeTitle: 'ARCHIVE', host: '127.0.0.1', port },
      });
      expect(ok.destination).toBe(`ARCHIVE@127.0.0.1:${port}`);
      expect(ok.ms).toBeGreaterThanOrEqual(0);
      await stop(pacs);
      const down = await a.invoke('dimse.verify', {
        destination: { aeTitle: 'ARCHIVE', host: '127.0.0.1', port },
      });
      expect(down.ok ? null : down.error).toMatchObject({
        code: 'DIMSE_NETWORK',
        message: expect.stringContaining(`cannot reach ARCHIVE@127.0.0.1:${port}`),
      });
    } finally {
      await stop(pacs);
      await a.dimse.close();
    }
  }, 60_000);

  it('delivers a queued send to a storescp started after the failure, on its own', async () => {
    const a = app('retry', [300, 600, 1200]);
    const port = await freePort();
    const inbox = mkdtempSync(join(work, 'retry-inbox-'));
    let pacs: ChildProcess | null = null;
    try {
      await a.call('vault.create', { passphrase: PASS, confirm: PASS, reader: { name: 'Dr Retry' } });
      const v = a.session.current()!;
      const to = { aeTitle: 'ARCHIVE', host: '127.0.0.1', port };
      await expect(
        sendOrQueue(syntheticObjects(), to, {
          callingAeTitle: 'PULMOLENS',
          timeoutSeconds: 5,
          vault: v,
          retryHint: '',
        }),
      ).rejects.toMatchObject({ code: 'DIMSE_NETWORK' });
      await a.dimse.retry.queuedOne();
      expect((await a.call<DimseState>('dimse.settings')).queue).toMatchObject({
        queued: 1,
        nextAttemptAt: expect.any(String),
      });
      // Let at least one automatic attempt fail against the closed port before the PACS comes up.
      await expect
        .poll(() => a.dimse.retry.status().lastAttempt?.automatic ?? false, { timeout: 10_000 })
        .toBe(true);
      pacs = await storescp(port, inbox);
      await expect.poll(() => a.dimse.retry.status().queued, { timeout: 20_000 }).toBe(0);
      expect(readdirSync(inbox)).toHaveLength(2);
      expect(await readOutbox(v)).toEqual([]);
      expect(a.dimse.retry.status().nextAttemptAt).toBeNull();
      const retried = (await v.auditEntries()).filter((e) => e.event === 'send-retried');
      expect(retried.length).toBeGreaterThanOrEqual(2);
      expect(retried.every((e) => e.details?.['automatic'] === true && e.user.includes('Dr Retry'))).toBe(
        true,
      );
      expect(retried.at(-1)!.details).toMatchObject({ delivered: 1, stillQueued: 0 });
      expect((await v.auditEntries()).some((e) => e.event === 'study-sent' && e.details?.['fromQueue'])).toBe(
        true,
      );
    } finally {
      if (pacs) await stop(pacs);
      await a.session.lock('manual').catch(() => undefined);
      await a.dimse.close();
    }
  }, 90_000);

  it('tries the queue at unlock, and not while locked', async () => {
    // An hour between automatic attempts: only the unlock can deliver within this test.
    const a = app('unlock', [3_600_000]);
    const port = await freePort();
    const inbox = mkdtempSync(join(work, 'unlock-inbox-'));
    let pacs: ChildProcess | null = null;
    try {
      await a.call('vault.create', { passphrase: PASS, confirm: PASS, reader: { name: 'Dr Unlock' } });
      const to = { aeTitle: 'ARCHIVE', host: '127.0.0.1', port };
      await expect(
        sendOrQueue(syntheticObjects(), to, {
          callingAeTitle: 'PULMOLENS',
          timeoutSeconds: 5,
          vault: a.session.current(),
          retryHint: '',
        }),
      ).rejects.toMatchObject({ code: 'DIMSE_NETWORK' });
      await a.dimse.retry.queuedOne();
      await a.call('vault.lock');
      expect(a.dimse.retry.status()).toMatchObject({ queued: 0, nextAttemptAt: null });
      pacs = await storescp(port, inbox);
      await a.call('vault.unlock', { passphrase: PASS, reader: { name: 'Dr Unlock' } });
      await expect.poll(() => readdirSync(inbox).length, { timeout: 20_000 }).toBe(2);
      await expect.poll(() => a.dimse.retry.status().queued, { timeout: 5_000 }).toBe(0);
      expect(await readOutbox(a.session.current()!)).toEqual([]);
    } finally {
      if (pacs) await stop(pacs);
      await a.session.lock('manual').catch(() => undefined);
      await a.dimse.close();
    }
  }, 90_000);
});
