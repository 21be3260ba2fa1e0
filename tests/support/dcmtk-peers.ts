/**
 * Real DICOM peers for the networking tests: a free local port and dcmtk's storescp, ready when
 * its port accepts connections (a poll, never a fixed sleep).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect, createServer } from 'node:net';

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Whether 127.0.0.1:port accepts a connection within `tries` polls 100 ms apart. */
export async function waitForPort(port: number, tries = 100): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** dcmtk's storescp as AE ARCHIVE on 127.0.0.1:port, writing what it receives into `dir`. */
export async function startStorescp(port: number, dir: string, extra: string[] = []): Promise<ChildProcess> {
  mkdirSync(dir, { recursive: true });
  const p = spawn('storescp', ['-aet', 'ARCHIVE', '-od', dir, ...extra, String(port)]);
  if (await waitForPort(port)) return p;
  p.kill();
  throw new Error(`storescp did not start on port ${port}`);
}
