import { defineConfig } from '@playwright/test';

/** Specs that run a whole-scan analysis (a minute or more each on a 2-core machine). */
const ANALYSIS_SPECS = /\/(findings|pacs|reading-cad)\.spec\.ts$/;

// The Electron binary cannot be downloaded on our build machines, so end-to-end
// tests drive the real renderer in Debian's Chromium against the test host,
// which serves the same IPC router as the Electron main process.
export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: 'artifacts/e2e',
  timeout: 180_000,
  // Two workers, each with its own test host and vault. Much of a UI test is waiting on the page,
  // so two side by side finish sooner even on 2 cores (session 22: 7.8 min; one worker took
  // 10.8 min in that session's CI, 9.5 without the spec since folded into findings). The analyses
  // go first (their project is listed first), so the long tests do not end up last, side by side.
  workers: 2,
  projects: [
    { name: 'analysis', testMatch: ANALYSIS_SPECS },
    { name: 'workspace', testIgnore: ANALYSIS_SPECS },
  ],
  reporter: [['list']],
  use: {
    launchOptions: {
      executablePath: process.env.PULMOLENS_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--use-gl=angle',
        '--use-angle=swiftshader',
        '--enable-unsafe-swiftshader',
      ],
    },
    viewport: { width: 1400, height: 900 },
  },
});
