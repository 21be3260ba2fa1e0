/**
 * Every security decision of the desktop shell as plain data and pure functions, so a unit test
 * can assert them without Electron (whose binary cannot be downloaded on our build machines).
 * The Electron-only code in window.ts / index.ts just applies what is defined here.
 */
import type { BrowserWindowConstructorOptions } from 'electron';

/** The renderer is served from this privileged custom scheme, never from file:// or http(s). */
export const APP_SCHEME = 'app';
export const APP_HOST = 'pulmolens';
const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * Content-Security-Policy for the renderer. Nothing may be loaded or contacted except our own
 * origin; `connectSrc` is widened only by the browser test host, whose API lives on 'self' anyway.
 * 'unsafe-inline' is for style attributes only (SVG annotation overlays set them); scripts stay
 * strictly 'self'. 'wasm-unsafe-eval' lets image codecs compile WebAssembly without allowing eval.
 */
export function buildCsp(): string {
  const directives: Record<string, string[]> = {
    'default-src': ["'none'"],
    'script-src': ["'self'", "'wasm-unsafe-eval'"],
    'style-src': ["'self'", "'unsafe-inline'"],
    'img-src': ["'self'", 'data:', 'blob:'],
    'font-src': ["'self'"],
    'connect-src': ["'self'"],
    'worker-src': ["'self'", 'blob:'],
    'frame-src': ["'none'"],
    'object-src': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'none'"],
    'frame-ancestors': ["'none'"],
  };
  return Object.entries(directives)
    .map(([k, v]) => `${k} ${v.join(' ')}`)
    .join('; ');
}

/** Headers sent with every renderer response (custom scheme in Electron, 127.0.0.1 in tests). */
export function securityHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': buildCsp(),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), usb=(), serial=(), hid=(), bluetooth=()',
  };
}

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** True only for URLs inside our own app origin. */
export function isAppUrl(url: string): boolean {
  const u = parse(url);
  return u !== null && u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
}

/**
 * Which network requests the session lets through: our scheme, plus the in-memory schemes the
 * renderer creates itself. Everything else (http, https, ws, file, ftp...) is cancelled.
 */
export function isAllowedRequest(url: string): boolean {
  const u = parse(url);
  if (!u) return false;
  if (u.protocol === 'data:' || u.protocol === 'blob:') return true;
  if (u.protocol === 'devtools:') return true;
  return isAppUrl(url);
}

/** The renderer may never navigate; a reload of our own entry page is the one exception. */
export function isAllowedNavigation(url: string): boolean {
  const u = parse(url);
  return u !== null && isAppUrl(url) && (u.pathname === '/' || u.pathname === '/index.html');
}

/** IPC is answered only for our own top-level frame. */
export function isTrustedSender(frameUrl: string | undefined | null, isMainFrame: boolean): boolean {
  return isMainFrame && typeof frameUrl === 'string' && isAppUrl(frameUrl);
}

/** Permission requests (camera, notifications, geolocation, ...) are all denied. */
export function decidePermission(_permission: string): boolean {
  return false;
}

/** New windows are always denied. */
export function windowOpenDecision(_url: string): { action: 'deny' } {
  return { action: 'deny' };
}

/** The BrowserWindow options, following Electron's security checklist. */
export function mainWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1600,
    height: 1000,
    minWidth: 1024,
    minHeight: 700,
    backgroundColor: '#0b0d10',
    title: 'PulmoLens',
    show: false,
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
    },
  };
}

/** How the custom scheme is registered before app ready (standard + secure so 'self' works). */
export const appSchemePrivileges = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: false, stream: true },
} as const;
