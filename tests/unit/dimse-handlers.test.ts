/**
 * The Storage SCP inside the app, through the real router and handlers: off by default, settings
 * validated and persisted, listening only while the vault is unlocked, and a series pushed by
 * dcmtk's storescu shows up in the study list as "received from" its AE title.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createInProcessBackend } from '../../src/main/dicom/in-process-backend';
import { DimseService } from '../../src/main/dimse-service';
import { createHandlers } from '../../src/main/ipc/handlers';
import { createRouter } from '../../src/main/ipc/router';
import { VaultSessionHolder } from '../../src/main/vault-session';
import type { DimseState } from '../../src/shared/dimse-contract';
import type { IpcResult } from '../../src/shared/ipc-contract';
import type { VaultStudy } from '../../src/shared/vault-contract';
import { lidcStudy, missingData } from '../support/shared-data';
import { freePort } from '../support/dcmtk-peers';

const noDcmtk = spawnSync('storescu', ['--version']).status === 0 ? null : 'dcmtk is not installed';
const skip = missingData('ct/LIDC-IDRI-0001.tar.xz') ?? noDcmtk;
const root = mkdtempSync(join(tmpdir(), 'pulmolens-dimse-handlers-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const PASS = 'a long enough test passphrase';

function run(cmd: string, args: string[]): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args);
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.once('close', (status) => resolve({ status, out }));
  });
}

describe.skipIf(skip)('dimse.* channels and the in-app Storage SCP', () => {
  it('is off by default, saves validated settings, receives while unlocked, stops on lock', async () => {
    const settingsPath = join(root, 'dicom-network.json');
    const session = new VaultSessionHolder({
      dir: join(root, 'vault'),
      kdf: { memoryKiB: 1024, iterations: 1, parallelism: 1 },
      allowWeakKdf: true,
    });
    const events: Array<{ event: string; payload: unknown }> = [];
    const dimse = new DimseService({
      settingsPath,
      vault: session,
      onReceived: (s) => events.push({ event: 'dimse.received', payload: s }),
    });
    const router = createRouter(
      createHandlers({
        backend: createInProcessBackend(),
        appInfo: { name: 't', version: '0' },
        vault: session,
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

    const initial = await call<DimseState>('dimse.settings');
    expect(initial.settings.enabled).toBe(false);
    expect(initial.listening).toBeNull();

    const bad = await invoke('dimse.saveSettings', {
      settings: { ...initial.settings, allowedPeers: [{ aeTitle: 'CT', host: 'scanner.local' }] },
    });
    expect(bad.ok ? null : bad.error.code).toBe('IPC_INVALID_PAYLOAD');

    const port = await freePort();
    const enabled = {
      ...initial.settings,
      enabled: true,
      port,
      allowedPeers: [{ aeTitle: 'TESTSCU', host: '127.0.0.1' }],
    };
    // Settings decide who may push data into the vault: changed only by a reader who unlocked it.
    const locked = await invoke('dimse.saveSettings', { settings: enabled });
    expect(locked.ok ? null : locked.error.code).toBe('VAULT_LOCKED');

    await call('vault.create', { passphrase: PASS, confirm: PASS, reader: { name: 'Dr DIMSE Test' } });
    const saved = await call<DimseState>('dimse.saveSettings', { settings: enabled });
    expect(JSON.parse(readFileSync(settingsPath, 'utf8'))).toMatchObject({ enabled: true, port });
    expect(saved.listening).toEqual({ host: '127.0.0.1', port });
    expect(saved.listener).toEqual({ kind: 'listening', host: '127.0.0.1', port, aeTitle: 'PULMOLENS' });
    expect(
      (await run('echoscu', ['-aet', 'TESTSCU', '-aec', 'PULMOLENS', '127.0.0.1', String(port)])).status,
    ).toBe(0);

    const dir = lidcStudy('0001').seriesDir;
    const files = readdirSync(dir)
      .sort()
      .slice(0, 3)
      .map((f) => join(dir, f));
    const push = await run('storescu', [
      '-aet',
      'TESTSCU',
      '-aec',
      'PULMOLENS',
      '127.0.0.1',
      String(port),
      ...files,
    ]);
    expect(push.status, push.out).toBe(0);
    const studies = await call<{ studies: VaultStudy[] }>('vault.studies');
    expect(studies.studies[0]!.series[0]!.receivedFrom).toBe('TESTSCU@127.0.0.1');
    expect(events.some((e) => e.event === 'dimse.received')).toBe(true);

    await call('vault.lock');
    await dimse.apply();
    const off = await call<DimseState>('dimse.settings');
    expect(off.listening).toBeNull();
    expect(off.listener).toEqual({ kind: 'off', why: 'vault-locked' });
    expect(
      (await run('echoscu', ['-aet', 'TESTSCU', '-aec', 'PULMOLENS', '127.0.0.1', String(port)])).status,
    ).not.toBe(0);
    await dimse.close();
  });
});
