import { defineConfig } from '@playwright/test';

// The Electron binary cannot be downloaded on our build machines, so end-to-end
// tests drive the real renderer in Debian's Chromium against the test host,
// which serves the same IPC router as the Electron main process.
export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: 'artifacts/e2e',
  timeout: 180_000,
  workers: 1,
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
