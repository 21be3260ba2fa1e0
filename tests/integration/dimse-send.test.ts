/**
 * Sending results to a PACS: `pulmolens send` pushes the SR, the parametric map and the PDF (as
 * Encapsulated PDF) of a real LIDC-IDRI-0001 report to dcmtk's storescp, and dsrdump/dcmdump read
 * what arrived; a refused association and an unreachable peer give clear errors, and a failed send
 * waits encrypted in the vault until `send --retry` delivers it (a new process: survives restart).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeReportBundle } from '../../src/core/report';
import { emptyReview, decide } from '../../src/common/review';
import { createVault, openVault } from '../../src/core/vault';
import { reportObjects, sendObjects } from '../../src/core/dimse';
import { missingData, repoRoot } from '../support/shared-data';
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

const work = mkdtempSync(join(tmpdir(), 'plv-send-'));
let reportDir = '';
const peers: ChildProcess[] = [];
afterEach(() => {
  for (const p of peers.splice(0)) if (p.exitCode === null) p.kill('SIGTERM');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(async () => {
  if (skip) return;
  const fx = await lidcFixture();
  let review = emptyReview(fx.document.seriesInstanceUid);
  review = decide(review, 'F001', {
    kind: 'accepted',
    reviewer: 'Reader^Rita',
    at: '2026-11-22T21:00:00.000Z',
  });
  reportDir = join(work, 'report');
  await writeReportBundle(reportDir, {
    metadata: fx.loaded.series.metadata,
    frames: fx.loaded.series.frames,
    volume: fx.loaded.volume,
    heatmap: fx.heatmap,
    document: fx.document,
    review,
    createdAt: new Date('2026-11-22T21:30:00Z'),
  });
}, 300_000);

async function storescp(port: number, dir: string, extra: string[] = []): Promise<void> {
  peers.push(await startStorescp(port, dir, extra));
}

function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ status: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn('node', [join(repoRoot, 'bin', 'pulmolens.mjs'), ...args], {
      env: { ...process.env, PULMOLENS_VAULT: '', ...env },
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.once('close', (status) => resolve({ status, out, err }));
  });
}

describe.skipIf(skip)('pulmolens send (C-STORE SCU) to dcmtk storescp', () => {
  it('delivers the SR, the parametric map and the Encapsulated PDF, readable by dsrdump and dcmdump', async () => {
    const port = await freePort();
    const inbox = join(work, 'inbox');
    await storescp(port, inbox);
    const r = await cli(['send', reportDir, '--to', `ARCHIVE@127.0.0.1:${port}`]);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/sent 3 object\(s\) to ARCHIVE@127\.0\.0\.1:/);
    const files = readdirSync(inbox).map((f) => join(inbox, f));
    expect(files).toHaveLength(3);
    const dumps = files.map((f) => spawnSync('dcmdump', [f], { encoding: 'utf8' }));
    expect(dumps.every((d) => d.status === 0)).toBe(true);
    const text = dumps.map((d) => d.stdout).join('\n');
    expect(text).toMatch(/=Comprehensive3DSRStorage/);
    expect(text).toMatch(/=ParametricMapStorage|1\.2\.840\.10008\.5\.1\.4\.1\.1\.30/);
    expect(text).toMatch(/=EncapsulatedPDFStorage/);
    expect(text).toMatch(/\(0042,0012\) LO \[application\/pdf\]/);
    const sr = files[dumps.findIndex((d) => /Comprehensive3DSRStorage/.test(d.stdout))]!;
    const srDump = spawnSync('dsrdump', [sr], { encoding: 'utf8' });
    expect(srDump.status).toBe(0);
    expect(srDump.stdout).toMatch(/Imaging Measurement Report/);
    // The PDF shares the SR's study.
    const study = (s: string) => /\(0020,000d\) UI \[([^\]]+)\]/.exec(s)?.[1];
    expect(new Set(dumps.map((d) => study(d.stdout))).size).toBe(1);
  });

  it('says so when the association is refused', async () => {
    const port = await freePort();
    await storescp(port, join(work, 'refusing'), ['--refuse']);
    const r = await cli(['send', reportDir, '--to', `ARCHIVE@127.0.0.1:${port}`]);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/error \[DIMSE_REFUSED\] ARCHIVE@127\.0\.0\.1:\d+ refused the association/);
  });

  it('times out with a clear error when the peer accepts the connection but never answers', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      await expect(
        sendObjects(
          await reportObjects(reportDir),
          { aeTitle: 'ARCHIVE', host: '127.0.0.1', port },
          {
            callingAeTitle: 'PULMOLENS',
            timeoutSeconds: 2,
          },
        ),
      ).rejects.toMatchObject({
        code: 'DIMSE_TIMEOUT',
        message: expect.stringMatching(/ARCHIVE@127\.0\.0\.1:\d+/),
      });
    } finally {
      silent.close();
    }
  });

  it('queues an undeliverable send encrypted in the vault and delivers it with send --retry later', async () => {
    const dir = join(work, 'vault');
    await (await createVault(dir, 'pw', WEAK)).lock();
    const env = { PULMOLENS_VAULT: dir, PULMOLENS_PASSPHRASE: 'pw' };
    const port = await freePort(); // nothing listens there yet
    const failed = await cli(['send', reportDir, '--to', `ARCHIVE@127.0.0.1:${port}`, '--timeout', '3'], env);
    expect(failed.status).toBe(1);
    expect(failed.err).toMatch(
      /error \[DIMSE_NETWORK\] cannot reach ARCHIVE@127\.0\.0\.1:\d+.*queued in the vault/,
    );

    const inbox = join(work, 'late-inbox');
    await storescp(port, inbox);
    const retried = await cli(['send', '--retry'], env);
    expect(retried.err).toBe('');
    expect(retried.out).toMatch(/delivered 1 queued send/);
    expect(readdirSync(inbox)).toHaveLength(3);

    const v = await openVault(dir, 'pw', { idleLockMs: 0 });
    const events = (await v.auditEntries()).map((e) => e.event);
    expect(events).toContain('send-failed');
    expect(events).toContain('study-sent');
    // Delivered: the queued copies left the vault; only the (empty) queue document remains.
    expect(v.listObjects({ kind: 'other' }).map((o) => o.name)).toEqual(['dimse-outbox.json']);
    await v.lock();
    const again = await cli(['send', '--retry'], env);
    expect(again.out).toMatch(/delivered 0 queued send/);
  });
});
