/**
 * The browser test host: token and host checks on every request, the security headers, the shim,
 * and the real router + DICOM worker behind it on real data (progress events, binary pixels,
 * cancellation).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCsp } from '../../src/main/security';
import { startTestHost, type TestHost } from '../host/test-host';
import { lidcStudy, missingData } from '../support/shared-data';

let host: TestHost;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pulmolens-host-'));
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><html><head><title>t</title></head><body></body></html>',
  );
  writeFileSync(join(dir, 'app.js'), 'console.log(1)');
  host = await startTestHost({ rendererDir: dir });
});

afterAll(async () => {
  await host?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Raw HTTP so the Host header can be forged (fetch does not allow that). */
function raw(
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const url = new URL(path, host.origin);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: url.port,
        path: url.pathname + url.search,
        method: opts.method ?? 'GET',
        headers: opts.headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const invoke = async (channel: string, payload: unknown, token = host.token) => {
  const r = await fetch(`${host.origin}/api/invoke/${channel}`, {
    method: 'POST',
    headers: { 'x-pulmolens-token': token, 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
  return r;
};

describe('test host access control', () => {
  it('listens on 127.0.0.1 only, on a random port', () => {
    expect(host.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(host.origin).not.toMatch(/:0$/);
  });

  it('refuses requests without the token, with a wrong token, or for another Host', async () => {
    expect((await raw('/')).status).toBe(401);
    expect((await raw('/?token=wrong')).status).toBe(401);
    expect((await raw('/app.js', { headers: { cookie: 'pulmolens_token=wrong' } })).status).toBe(401);
    const hostHeader = new URL(host.origin).host;
    expect(
      (await raw(`/?token=${host.token}`, { headers: { host: `evil.example:${hostHeader.split(':')[1]}` } }))
        .status,
    ).toBe(421);
    expect((await invoke('app.info', {}, 'wrong')).status).toBe(401);
  });

  it('sets an HttpOnly SameSite cookie for the entry page, then serves assets with it', async () => {
    const entry = await raw(`/?token=${host.token}`);
    expect(entry.status).toBe(200);
    const cookie = String(entry.headers['set-cookie']);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    const asset = await raw('/app.js', { headers: { cookie: `pulmolens_token=${host.token}` } });
    expect(asset.status).toBe(200);
    expect(asset.body.toString()).toBe('console.log(1)');
  });

  it('requires the token header (not just the cookie) for API calls', async () => {
    const r = await raw('/api/invoke/app.info', {
      method: 'POST',
      headers: { cookie: `pulmolens_token=${host.token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(r.status).toBe(403);
  });

  it('never serves files outside the renderer folder', async () => {
    const r = await raw(`/..%2f..%2f..%2fetc%2fpasswd?token=${host.token}`);
    expect([403, 404]).toContain(r.status);
    expect(r.body.toString()).not.toContain('root:');
  });

  it('sends the app CSP and injects the test-only shim into the entry page', async () => {
    const r = await raw(`/?token=${host.token}`);
    expect(r.headers['content-security-policy']).toBe(buildCsp());
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.body.toString()).toContain('<script src="/__test__/api-shim.js"></script>');
    const shim = await raw('/__test__/api-shim.js', { headers: { cookie: `pulmolens_token=${host.token}` } });
    expect(shim.body.toString()).toContain("Object.defineProperty(window, 'api'");
  });

  it('answers bad JSON and bad payloads with typed errors', async () => {
    const bad = await raw('/api/invoke/dicom.scan', {
      method: 'POST',
      headers: { 'x-pulmolens-token': host.token },
      body: '{not json',
    });
    expect(JSON.parse(bad.body.toString()).error.code).toBe('IPC_INVALID_PAYLOAD');
    const r = await (await invoke('dicom.scan', { paths: [42] })).json();
    expect(r.ok).toBe(false);
    expect(r.error.code).toBe('IPC_INVALID_PAYLOAD');
    const missing = await (await invoke('dicom.volumePixels', { key: 'never-scanned' })).json();
    expect(missing.error.code).toBe('NOT_FOUND');
  });
});

const skip = missingData('ct/LIDC-IDRI-0001.tar.xz');
const PASSPHRASE = 'host test vault passphrase';

describe.skipIf(skip !== null)('test host on LIDC-IDRI-0001 (real router, worker thread)', () => {
  it('scans, streams progress, loads and returns the HU volume as binary', async () => {
    const study = lidcStudy('0001');
    const events: { taskId: string; done: number; total: number }[] = [];
    const ctrl = new AbortController();
    const sse = await fetch(`${host.origin}/api/events?token=${host.token}`, { signal: ctrl.signal });
    const reader = sse.body!.getReader();
    const pump = (async () => {
      let text = '';
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        text += new TextDecoder().decode(value);
        const parts = text.split('\n\n');
        text = parts.pop() ?? '';
        for (const p of parts) if (p.startsWith('data: ')) events.push(JSON.parse(p.slice(6)).payload);
      }
    })();

    // Series are opened from the vault: create it, then import the folder into it.
    const created = await (
      await invoke('vault.create', {
        passphrase: PASSPHRASE,
        confirm: PASSPHRASE,
        reader: { name: 'Dr Host' },
      })
    ).json();
    expect(created.ok).toBe(true);
    const scan = await (await invoke('vault.importFolder', { paths: [study.root], taskId: 'scan-a' })).json();
    expect(scan.ok).toBe(true);
    expect(scan.value.studies).toHaveLength(1);
    expect(scan.value.studies[0].series).toHaveLength(1);
    const s = scan.value.studies[0].series[0];
    expect(s.sliceCount).toBe(133);
    expect(scan.value.skipped.map((f: { path: string }) => f.path.split('/').pop())).toEqual([
      'reader-annotations.xml',
    ]);

    const info = await (await invoke('dicom.loadSeries', { key: s.key, taskId: 'load-a' })).json();
    expect(info.ok).toBe(true);
    expect(info.value.geometry.dims).toEqual([512, 512, 133]);
    expect(info.value.geometry.spacingMm[0]).toBeCloseTo(0.703125, 6);
    expect(info.value.slicePositionsLps).toHaveLength(133);

    const px = await invoke('dicom.volumePixels', { key: s.key });
    expect(px.headers.get('content-type')).toBe('application/octet-stream');
    const hu = new Int16Array(await px.arrayBuffer());
    expect(hu.length).toBe(512 * 512 * 133);
    // Air outside the body and soft tissue inside: a real chest CT in HU.
    const mid = 66 * 512 * 512;
    expect(hu[mid + 5 * 512 + 5]).toBeLessThan(-900);
    let min = Infinity;
    let max = -Infinity;
    for (const v of hu.subarray(mid, mid + 512 * 512)) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect(min).toBeGreaterThanOrEqual(-3024);
    expect(max).toBeGreaterThan(300); // bone

    await new Promise((r) => setTimeout(r, 100));
    ctrl.abort();
    await pump;
    const loadEvents = events.filter((e) => e.taskId === 'load-a');
    expect(loadEvents.length).toBeGreaterThan(0);
    expect(loadEvents.at(-1)!.done).toBeLessThanOrEqual(loadEvents.at(-1)!.total);

    const thumb = await (await invoke('dicom.thumbnail', { key: s.key, size: 32 })).json();
    expect(thumb.value.gray).toHaveLength(32 * 32);
    expect(new Set(thumb.value.gray).size).toBeGreaterThan(10);
  });

  it('cancels a load through task.cancel with a CANCELLED error', async () => {
    const study = lidcStudy('0001');
    const scan = await (await invoke('dicom.scan', { paths: [study.seriesDir] })).json();
    const key = scan.value.series[0].key;
    expect(key).toBeTruthy();
    // A fresh host has no cached volume, so the load really runs in the worker.
    const fresh = await startTestHost({ rendererDir: dir });
    try {
      const call = (channel: string, payload: unknown) =>
        fetch(`${fresh.origin}/api/invoke/${channel}`, {
          method: 'POST',
          headers: { 'x-pulmolens-token': fresh.token },
          body: JSON.stringify(payload),
        }).then((r) => r.json());
      expect(
        (
          await call('vault.create', {
            passphrase: PASSPHRASE,
            confirm: PASSPHRASE,
            reader: { name: 'Dr Host' },
          })
        ).ok,
      ).toBe(true);
      expect((await call('vault.importFolder', { paths: [study.seriesDir] })).ok).toBe(true);
      const pending = call('dicom.loadSeries', { key, taskId: 'cancel-me' });
      await new Promise((r) => setTimeout(r, 50));
      const c = await call('task.cancel', { taskId: 'cancel-me' });
      expect(c).toEqual({ ok: true, value: { cancelled: true } });
      const r = await pending;
      expect(r.ok).toBe(false);
      expect(r.error.code).toBe('CANCELLED');
    } finally {
      await fresh.close();
    }
  });
});
