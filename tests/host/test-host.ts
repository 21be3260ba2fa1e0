/**
 * The browser test host: the real IPC router and core served on 127.0.0.1 (random port) to Debian
 * Chromium, because the Electron binary cannot be downloaded on our build machines. It serves the
 * built renderer with the same security headers as the app, plus a `window.api` shim that exists
 * only here (never in the shipped bundle). Every request must carry the per-run token: as the
 * `x-pulmolens-token` header (API), or the cookie that the entry URL `/?token=...` sets (assets).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { delimiter, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createHandlers } from '../../src/main/ipc/handlers';
import {
  inferenceConfig,
  inferenceEnvOverrides,
  type InferenceConfig,
} from '../../src/core/inference/config';
import { createRouter, type Router } from '../../src/main/ipc/router';
import { vaultAnalysisStore } from '../../src/core/findings/analysis-store';
import { VaultSessionHolder } from '../../src/main/vault-session';
import { DimseService } from '../../src/main/dimse-service';
import { createWorkerBackend } from '../../src/main/dicom/worker-backend';
import { securityHeaders } from '../../src/main/security';
import type { DicomBackend } from '../../src/main/dicom/dicom-backend';
import type { EventName, EventPayloads } from '../../src/shared/ipc-contract';

const here = fileURLToPath(new URL('.', import.meta.url));
export const repoRoot = resolve(here, '..', '..');
/** Where the test build of the renderer goes (see tests/host/build-renderer.ts). */
export const defaultRendererDir = join(repoRoot, 'out', 'renderer-test');

const TOKEN_HEADER = 'x-pulmolens-token';
const TOKEN_COOKIE = 'pulmolens_token';
const MAX_BODY = 1 << 20;

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

export interface TestHost {
  /** Entry URL including the token: open this in the browser. */
  url: string;
  origin: string;
  token: string;
  router: Router;
  /** The vault folder this host uses (a fresh temporary one unless PULMOLENS_VAULT_DIR is set). */
  vaultDir: string;
  close(): Promise<void>;
}

export interface TestHostOptions {
  rendererDir?: string;
  port?: number;
  backend?: DicomBackend;
  /** Vault folder; default PULMOLENS_VAULT_DIR, else a fresh folder under os.tmpdir() */
  vaultDir?: string;
  /**
   * Folders the page's folder browser may list and search for dropped folders; default
   * PULMOLENS_BROWSE_ROOTS (path-delimiter separated), else the user's home folder.
   */
  browseRoots?: string[];
  /** Inference configuration; default the shipped models with the environment's overrides (PULMOLENS_MODELS_DIR, ...). */
  inference?: InferenceConfig;
}

/**
 * The DICOM worker, run from TypeScript source (the app bundles it instead). Node's Worker does
 * not take `--import tsx` for a .ts entry, so a tiny bootstrap registers tsx first.
 */
export function spawnSourceWorker(): Worker {
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const entry = new URL('../../src/main/dicom/dicom-worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true });
}

function sameToken(a: string | undefined | null, token: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(token);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieToken(req: IncomingMessage): string | undefined {
  const raw = req.headers.cookie ?? '';
  for (const part of raw.split(';')) {
    const [k, v] = part.trim().split('=');
    if (k === TOKEN_COOKIE) return v;
  }
  return undefined;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function shimSource(token: string): string {
  // Plain script, runs before the renderer's module scripts. Mirrors src/preload exactly.
  return `(() => {
  'use strict';
  const token = ${JSON.stringify(token)};
  const listeners = new Map();
  let source = null;
  function connect() {
    if (source) return;
    source = new EventSource('/api/events?token=' + encodeURIComponent(token));
    source.onmessage = (m) => {
      const { event, payload } = JSON.parse(m.data);
      for (const l of listeners.get(event) ?? []) l(payload);
    };
  }
  async function invoke(channel, request) {
    try {
      const r = await fetch('/api/invoke/' + encodeURIComponent(String(channel)), {
        method: 'POST',
        headers: { 'content-type': 'application/json', '${TOKEN_HEADER}': token },
        body: JSON.stringify(request === undefined ? {} : request),
      });
      if ((r.headers.get('content-type') || '').startsWith('application/octet-stream')) {
        return { ok: true, value: await r.arrayBuffer() };
      }
      return await r.json();
    } catch (e) {
      return { ok: false, error: { code: 'INTERNAL', message: 'test host unreachable: ' + e } };
    }
  }
  function on(event, listener) {
    connect();
    if (!listeners.has(event)) listeners.set(event, new Set());
    listeners.get(event).add(listener);
    return () => listeners.get(event).delete(listener);
  }
  Object.defineProperty(window, 'api', { value: Object.freeze({ invoke, on }), writable: false });
})();
`;
}

export async function startTestHost(opts: TestHostOptions = {}): Promise<TestHost> {
  const rendererDir = resolve(opts.rendererDir ?? defaultRendererDir);
  const token = randomBytes(24).toString('base64url');
  const backend = opts.backend ?? createWorkerBackend(spawnSourceWorker);
  const sse = new Set<ServerResponse>();
  const emit = <E extends EventName>(event: E, payload: EventPayloads[E]): void => {
    const line = `data: ${JSON.stringify({ event, payload })}\n\n`;
    for (const res of sse) res.write(line);
  };
  const fixedVaultDir = opts.vaultDir ?? process.env.PULMOLENS_VAULT_DIR;
  const vaultDir = fixedVaultDir ?? (await mkdtemp(join(tmpdir(), 'pulmolens-vault-')));
  // No OS keychain in a browser host: the lock screen offers the passphrase only.
  const vault = new VaultSessionHolder({ dir: vaultDir });
  vault.onLock((reason) => emit('vault.locked', { reason }));
  // DICOM networking as in the app: the SCP off until enabled; settings in this host's temp folder.
  const dimseDir = await mkdtemp(join(tmpdir(), 'pulmolens-dimse-'));
  const dimse = new DimseService({
    settingsPath: join(dimseDir, 'dicom-network.json'),
    vault,
    onReceived: (s, settings) =>
      emit('dimse.received', {
        studyRef: s.studyRef,
        seriesRef: s.seriesRef,
        receivedFrom: s.receivedFrom,
        autoAnalyze: settings.autoAnalyze,
      }),
  });
  const router = createRouter(
    createHandlers({
      backend,
      vault,
      dimse,
      emit,
      analysisStore: vaultAnalysisStore(vault),
      inference: opts.inference ?? inferenceConfig(inferenceEnvOverrides(process.env)),
      appInfo: { name: 'PulmoLens (browser test host)', version: '0.1.0' },
      browseRoots: opts.browseRoots ??
        process.env.PULMOLENS_BROWSE_ROOTS?.split(delimiter).filter(Boolean) ?? [homedir()],
    }),
    emit,
  );
  let hostHeader = '';

  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer): void => {
    res.writeHead(status, { ...securityHeaders(), 'Content-Type': type, 'Cache-Control': 'no-store' });
    res.end(body);
  };

  async function serveStatic(res: ServerResponse, pathname: string): Promise<void> {
    const rel = pathname === '/' ? 'index.html' : decodeURIComponent(pathname.slice(1));
    const file = resolve(rendererDir, rel);
    if (file !== rendererDir && !file.startsWith(rendererDir + sep))
      return send(res, 403, 'text/plain', 'forbidden');
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) return send(res, 404, 'text/plain', `not found: ${pathname}`);
    let body: string | Buffer = await readFile(file);
    if (rel === 'index.html') {
      body = body
        .toString('utf8')
        .replace('<head>', '<head>\n    <script src="/__test__/api-shim.js"></script>');
    }
    send(res, 200, contentTypes[extname(file)] ?? 'application/octet-stream', body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A DNS-rebinding page could reach 127.0.0.1 under another name: only our exact host is served.
    if (req.headers.host !== hostHeader) return send(res, 421, 'text/plain', 'wrong host');
    const url = new URL(req.url ?? '/', `http://${hostHeader}`);
    const queryToken = url.searchParams.get('token');
    const authorized =
      sameToken(req.headers[TOKEN_HEADER] as string | undefined, token) ||
      sameToken(cookieToken(req), token) ||
      sameToken(queryToken, token);
    if (!authorized) return send(res, 401, 'text/plain', 'missing or wrong token');

    if (url.pathname.startsWith('/api/invoke/')) {
      // API calls need the header itself: a cookie alone would let another page post here.
      if (req.method !== 'POST' || !sameToken(req.headers[TOKEN_HEADER] as string | undefined, token)) {
        return send(res, 403, 'text/plain', 'API calls need POST and the token header');
      }
      const channel = decodeURIComponent(url.pathname.slice('/api/invoke/'.length));
      let payload: unknown;
      try {
        payload = JSON.parse((await readBody(req)) || '{}');
      } catch (e) {
        const error = {
          code: 'IPC_INVALID_PAYLOAD',
          message: `${channel}: request is not JSON: ${String(e)}`,
        };
        return send(res, 200, 'application/json', JSON.stringify({ ok: false, error }));
      }
      const result = await router.invoke(channel, payload);
      if (result.ok && result.value instanceof ArrayBuffer) {
        return send(res, 200, 'application/octet-stream', Buffer.from(result.value));
      }
      return send(res, 200, 'application/json', JSON.stringify(result));
    }
    if (url.pathname === '/api/events') {
      res.writeHead(200, {
        ...securityHeaders(),
        'Content-Type': 'text/event-stream',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive',
      });
      res.write(': connected\n\n');
      sse.add(res);
      req.on('close', () => sse.delete(res));
      return;
    }
    if (url.pathname === '/__test__/api-shim.js') {
      return send(res, 200, 'text/javascript; charset=utf-8', shimSource(token));
    }
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, 'text/plain', 'method not allowed');
    if (queryToken) {
      res.setHeader('Set-Cookie', `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`);
    }
    return serveStatic(res, url.pathname);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain', `test host error: ${String(err)}`);
      else res.end();
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, '127.0.0.1', () => ok());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('test host: no TCP address');
  hostHeader = `127.0.0.1:${address.port}`;
  const origin = `http://${hostHeader}`;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    router,
    vaultDir,
    async close() {
      router.dispose();
      await vault.lock('manual').catch(() => undefined);
      await dimse.close();
      await rm(dimseDir, { recursive: true, force: true });
      if (!fixedVaultDir) await rm(vaultDir, { recursive: true, force: true });
      for (const res of sse) res.end();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      await backend.close();
    },
  };
}
