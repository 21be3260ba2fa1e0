/**
 * Serves the built renderer from app://pulmolens/ (never file://), with the security headers on
 * every response. Paths are confined to the renderer folder.
 */
import { net, protocol } from 'electron';
import { extname, join, normalize, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { APP_HOST, APP_SCHEME, appSchemePrivileges, securityHeaders } from './security';

/** Must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { ...appSchemePrivileges, privileges: { ...appSchemePrivileges.privileges } },
  ]);
}

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

export function handleAppScheme(rendererDir: string): void {
  const root = normalize(rendererDir);
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== APP_HOST) return new Response('not found', { status: 404 });
    const rel = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname);
    const file = normalize(join(root, rel));
    if (!file.startsWith(root + sep)) return new Response('forbidden', { status: 403 });
    const upstream = await net.fetch(pathToFileURL(file).toString()).catch(() => null);
    if (!upstream || !upstream.ok) return new Response('not found', { status: 404 });
    const headers = new Headers(securityHeaders());
    headers.set('Content-Type', types[extname(file)] ?? 'application/octet-stream');
    return new Response(upstream.body, { status: 200, headers });
  });
}
