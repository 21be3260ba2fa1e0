/**
 * The vault's retry queue of failed sends under concurrent use (the workspace may queue a failed
 * send while "Retry queued sends" runs): no entry is lost, and a retry that runs meanwhile keeps
 * what was queued after it started. Real vault (small Argon2id cost); the peer is a closed port.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { enqueue, readOutbox, retryOutbox } from '../../src/core/dimse';
import { createVault } from '../../src/core/vault';

const work = mkdtempSync(join(tmpdir(), 'plv-outbox-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const WEAK = { kdf: { memoryKiB: 256, iterations: 1, parallelism: 1 }, allowWeakKdf: true, idleLockMs: 0 };

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const object = (i: number) => [{ name: `obj-${i}.dcm`, bytes: new Uint8Array([i, i, i]) }];

describe('dimse retry queue', () => {
  it('keeps every entry when sends are queued at the same time', async () => {
    const v = await createVault(join(work, 'a'), 'pw', WEAK);
    const to = { aeTitle: 'ARCHIVE', host: '127.0.0.1', port: 104 };
    await Promise.all([0, 1, 2, 3, 4].map((i) => enqueue(v, object(i), to, `failure ${i}`)));
    const queued = await readOutbox(v);
    expect(queued.map((e) => e.lastError).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `failure ${i}`));
    await v.lock();
  });

  it('a retry keeps what was queued while it ran, and counts its own attempt', async () => {
    const v = await createVault(join(work, 'b'), 'pw', WEAK);
    const to = { aeTitle: 'ARCHIVE', host: '127.0.0.1', port: await closedPort() };
    await enqueue(v, object(1), to, 'first failure');
    const retry = retryOutbox(v, { callingAeTitle: 'PULMOLENS', timeoutSeconds: 2 });
    await enqueue(v, object(2), to, 'second failure');
    const report = await retry;
    expect(report.delivered).toBe(0);
    const queued = await readOutbox(v);
    expect(queued.map((e) => [e.objects[0]!.name, e.attempts])).toEqual([
      ['obj-1.dcm', 2],
      ['obj-2.dcm', 1],
    ]);
    await v.lock();
  });
});
