/**
 * The desktop shell's security decisions (Electron's checklist), asserted on the pure functions the
 * Electron code applies. The browser-side half (CSP served and enforced) is tests/e2e/security.spec.ts.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  APP_ENTRY_URL,
  appSchemePrivileges,
  buildCsp,
  decidePermission,
  isAllowedNavigation,
  isAllowedRequest,
  isAppUrl,
  isTrustedSender,
  mainWindowOptions,
  securityHeaders,
  windowOpenDecision,
} from '../../src/main/security';
import { repoRoot } from '../support/shared-data';
import { buildTestRenderer } from '../host/build-renderer';

const directives = (csp: string) =>
  Object.fromEntries(
    csp.split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name, values];
    }),
  ) as Record<string, string[]>;

describe('BrowserWindow options', () => {
  const opts = mainWindowOptions('/app/preload/index.cjs');
  const wp = opts.webPreferences!;
  it('isolates the renderer: contextIsolation, sandbox, no Node, web security on', () => {
    expect(wp.contextIsolation).toBe(true);
    expect(wp.sandbox).toBe(true);
    expect(wp.nodeIntegration).toBe(false);
    expect(wp.nodeIntegrationInWorker).toBe(false);
    expect(wp.nodeIntegrationInSubFrames).toBe(false);
    expect(wp.webSecurity).toBe(true);
    expect(wp.allowRunningInsecureContent).toBe(false);
    expect(wp.webviewTag).toBe(false);
    expect(wp.experimentalFeatures).toBe(false);
    expect(wp.navigateOnDragDrop).toBe(false);
    expect(wp.preload).toBe('/app/preload/index.cjs');
  });
});

describe('Content-Security-Policy', () => {
  const d = directives(buildCsp());
  it('denies by default and allows scripts only from the app itself (no eval, no inline)', () => {
    expect(d['default-src']).toEqual(["'none'"]);
    expect(d['script-src']).toContain("'self'");
    expect(d['script-src']).not.toContain("'unsafe-eval'");
    expect(d['script-src']).not.toContain("'unsafe-inline'");
    expect(d['script-src']!.every((s) => s.startsWith("'"))).toBe(true); // no hosts at all
  });
  it('allows no remote connections, frames, objects, forms or base changes', () => {
    expect(d['connect-src']).toEqual(["'self'"]);
    expect(d['frame-src']).toEqual(["'none'"]);
    expect(d['object-src']).toEqual(["'none'"]);
    expect(d['form-action']).toEqual(["'none'"]);
    expect(d['base-uri']).toEqual(["'none'"]);
    expect(d['frame-ancestors']).toEqual(["'none'"]);
    for (const values of Object.values(d)) {
      for (const v of values) expect(v).not.toMatch(/^(https?:|wss?:|\*)/);
    }
  });
  it('is sent with every response together with nosniff', () => {
    const h = securityHeaders();
    expect(h['Content-Security-Policy']).toBe(buildCsp());
    expect(h['X-Content-Type-Options']).toBe('nosniff');
  });
});

describe('network, navigation, windows, permissions, IPC senders', () => {
  it('serves the app from a privileged custom scheme, not file://', () => {
    expect(APP_ENTRY_URL).toBe('app://pulmolens/index.html');
    expect(appSchemePrivileges.privileges.secure).toBe(true);
    expect(appSchemePrivileges.privileges.standard).toBe(true);
    expect(isAppUrl('file:///etc/passwd')).toBe(false);
  });

  it.each([
    ['https://example.com/', false],
    ['http://127.0.0.1:8080/', false],
    ['wss://example.com/socket', false],
    ['file:///etc/passwd', false],
    ['ftp://example.com/x', false],
    ['app://evil/index.html', false],
    ['app://pulmolens.evil.com/x.js', false],
    ['not a url', false],
    ['app://pulmolens/assets/index.js', true],
    ['data:image/png;base64,AAAA', true],
    ['blob:app://pulmolens/1234', true],
  ])('request %s allowed: %s', (url, allowed) => {
    expect(isAllowedRequest(url)).toBe(allowed);
  });

  it('denies every navigation except reloading our own entry page', () => {
    expect(isAllowedNavigation('https://example.com/')).toBe(false);
    expect(isAllowedNavigation('file:///home/user/x.html')).toBe(false);
    expect(isAllowedNavigation('app://pulmolens/assets/index.js')).toBe(false);
    expect(isAllowedNavigation('app://pulmolens/index.html')).toBe(true);
    expect(isAllowedNavigation('app://pulmolens/')).toBe(true);
  });

  it('denies new windows and every permission', () => {
    expect(windowOpenDecision('https://example.com')).toEqual({ action: 'deny' });
    expect(windowOpenDecision('app://pulmolens/index.html')).toEqual({ action: 'deny' });
    for (const p of [
      'media',
      'geolocation',
      'notifications',
      'clipboard-read',
      'openExternal',
      'fullscreen',
    ]) {
      expect(decidePermission(p)).toBe(false);
    }
  });

  it('answers IPC only from our own top-level frame', () => {
    expect(isTrustedSender('app://pulmolens/index.html', true)).toBe(true);
    expect(isTrustedSender('app://pulmolens/index.html', false)).toBe(false);
    expect(isTrustedSender('https://example.com/', true)).toBe(false);
    expect(isTrustedSender('file:///x.html', true)).toBe(false);
    expect(isTrustedSender(undefined, true)).toBe(false);
  });
});

describe('the Electron code applies these decisions', () => {
  // The binary cannot run here, so check the wiring where it happens.
  const src = (p: string) => readFileSync(join(repoRoot, p), 'utf8');
  it('window.ts hooks navigation, redirects, webviews, new windows, requests and permissions', () => {
    const w = src('src/main/window.ts');
    for (const hook of [
      "'will-navigate'",
      "'will-redirect'",
      "'will-attach-webview'",
      'setWindowOpenHandler',
      'onBeforeRequest',
      'setPermissionRequestHandler',
      'setPermissionCheckHandler',
      'mainWindowOptions(',
    ]) {
      expect(w).toContain(hook);
    }
  });
  it('the IPC transport checks the sender before the router runs', () => {
    const t = src('src/main/ipc/electron-transport.ts');
    expect(t.indexOf('senderIsTrusted(e)')).toBeGreaterThan(-1);
    expect(t.indexOf('senderIsTrusted(e)')).toBeLessThan(t.indexOf('router.invoke'));
  });
  it('the preload exposes only window.api and the shim is not part of the app sources', () => {
    const p = src('src/preload/index.ts');
    expect(p.match(/exposeInMainWorld\(/g)).toHaveLength(1);
    expect(p).toContain("exposeInMainWorld('api', api)");
    expect(src('src/renderer/main.tsx')).not.toContain('api-shim');
  });
});

describe('the shipped renderer bundle', () => {
  it('contains neither the test shim nor the test-only landmark hook', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pulmolens-renderer-'));
    try {
      await buildTestRenderer(out, true, 'production');
      const js = readdirSync(join(out, 'assets'))
        .filter((f) => f.endsWith('.js'))
        .map((f) => readFileSync(join(out, 'assets', f), 'utf8'))
        .join('\n');
      expect(js.length).toBeGreaterThan(100_000);
      expect(js).not.toContain('api-shim');
      expect(js).not.toContain('__pulmolens');
      expect(js).not.toContain('x-pulmolens-token');
      expect(readFileSync(join(out, 'index.html'), 'utf8')).not.toContain('__test__');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});
