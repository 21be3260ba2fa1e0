/**
 * `npm start` fallback where the Electron binary is missing: serves the real renderer and core on
 * 127.0.0.1 (the same host the end-to-end tests use) and opens it in Debian's Chromium as an app
 * window when a display is present. Without a display it just serves and prints the URL.
 *
 *   node --import tsx scripts/preview-host.ts [--port N] [--no-browser]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTestRenderer } from '../tests/host/build-renderer';
import { repoRoot, startTestHost } from '../tests/host/test-host';

const args = process.argv.slice(2);
const portArg = args.indexOf('--port');
const port = portArg >= 0 ? Number(args[portArg + 1]) : 0;
const chromium = process.env.PULMOLENS_CHROMIUM ?? '/usr/bin/chromium';

const dir = await buildTestRenderer(join(repoRoot, 'out', 'renderer-preview'), false, 'production');
const host = await startTestHost({ rendererDir: dir, port });
console.log(`PulmoLens preview: ${host.url}`);
console.log('Research use only. The page talks to the local core through a per-run token; Ctrl+C stops it.');

const hasDisplay = Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
let browser: ReturnType<typeof spawn> | null = null;
let profile: string | null = null;
if (args.includes('--no-browser')) {
  console.log('Not opening a browser (--no-browser).');
} else if (!hasDisplay) {
  console.log(
    'No display found (DISPLAY/WAYLAND_DISPLAY unset): serving only. Open the URL above in Chromium.',
  );
} else if (!existsSync(chromium)) {
  console.log(`${chromium} not found: open the URL above in a Chromium-based browser.`);
} else {
  profile = mkdtempSync(join(tmpdir(), 'pulmolens-chromium-'));
  browser = spawn(
    chromium,
    [
      `--app=${host.url}`,
      `--user-data-dir=${profile}`,
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-extensions',
      '--disable-features=Translate,MediaRouter,OptimizationHints',
      // Nothing but the local host resolves: a second line of defence behind the page's CSP.
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      '--window-size=1600,1000',
    ],
    { stdio: 'ignore' },
  );
  browser.on('exit', () => void stop());
}

async function stop(): Promise<void> {
  browser?.kill();
  await host.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
