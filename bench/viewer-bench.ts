/**
 * Viewer benchmark in the test browser (Debian Chromium, the same flags as the e2e tests, i.e.
 * SwiftShader software WebGL unless PULMOLENS_BENCH_GPU=1): LIDC-IDRI-0002 (261 slices).
 *  - open series -> first rendered image: from the click in the study browser until the axial
 *    viewport has drawn the volume (cold: DICOM decode in the worker included; warm: volume
 *    already decoded in the main process, i.e. IPC transfer + GPU upload + first draw);
 *  - scrolling: one slice per step through every slice, time from the scroll call to the
 *    viewport's IMAGE_RENDERED event (mean and 95th percentile).
 */
import { cpus, loadavg } from 'node:os';
import { chromium, type Page } from 'playwright-core';
import { startTestHost } from '../tests/host/test-host';
import { buildTestRenderer } from '../tests/host/build-renderer';
import { lidcStudy, missingData } from '../tests/support/shared-data';
import type { BenchResult } from './bench-util';

interface EngineHook {
  engine: {
    onRendered: ((id: string) => void) | null;
    scroll(id: string, d: number): void;
    jumpTo(id: string, i: number): Promise<void>;
    sliceCount(id: string): number;
  };
}

async function openSeries(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const button = document.querySelector<HTMLButtonElement>('[data-series-key]');
    if (!button) throw new Error('no series listed');
    const t0 = performance.now();
    button.click();
    await new Promise<void>((resolve, reject) => {
      const deadline = t0 + 120_000;
      const poll = () => {
        if (document.querySelector('.viewport-grid[data-rendered="yes"]')) resolve();
        else if (document.querySelector('.center-state.error')) reject(new Error('series failed to open'));
        else if (performance.now() > deadline) reject(new Error('timed out'));
        else requestAnimationFrame(poll);
      };
      poll();
    });
    // The draw happens on the next animation frame after the volume is set.
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return performance.now() - t0;
  });
}

async function scrollFrames(page: Page): Promise<number[]> {
  return page.evaluate(async () => {
    const hook = (window as unknown as { __pulmolens: EngineHook }).__pulmolens;
    const e = hook.engine;
    await e.jumpTo('axial', 0);
    await new Promise((r) => setTimeout(r, 200));
    const n = e.sliceCount('axial');
    const times: number[] = [];
    for (let i = 1; i < n; i++) {
      const t0 = performance.now();
      await new Promise<void>((resolve) => {
        e.onRendered = (id) => {
          if (id === 'axial') resolve();
        };
        e.scroll('axial', 1);
      });
      times.push(performance.now() - t0);
    }
    e.onRendered = null;
    return times;
  });
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    mean,
    median: s[Math.floor(s.length / 2)]!,
    p95: s[Math.min(s.length - 1, Math.floor(0.95 * s.length))]!,
  };
};

export async function benchViewer(): Promise<BenchResult> {
  const title = 'Viewer (LIDC-IDRI-0002, 261 slices, test browser)';
  const missing = missingData('ct/LIDC-IDRI-0002.tar.xz');
  if (missing) return { title, rows: [{ skipped: missing }] };
  const study = lidcStudy('0002');
  const dir = await buildTestRenderer();
  const host = await startTestHost({ rendererDir: dir });
  const gpu = process.env.PULMOLENS_BENCH_GPU === '1';
  const browser = await chromium.launch({
    executablePath: process.env.PULMOLENS_CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--no-first-run',
      ...(gpu ? [] : ['--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader']),
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    // tsx keeps function names with an `__name` helper that the page does not have.
    await page.addInitScript('globalThis.__name = (f) => f');
    await page.goto(host.url);
    // The app opens on its lock screen: create the host's (temporary) vault first.
    const passphrase = 'viewer bench vault passphrase';
    await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
    await page.getByLabel('Confirm passphrase').fill(passphrase);
    await page.getByRole('button', { name: 'Create vault' }).click();
    await page.getByTestId('vault-bar').waitFor({ timeout: 60_000 });
    const importAndOpen = async () => {
      await page.getByLabel('Folder path').fill(study.root);
      await page.getByRole('button', { name: 'Import' }).click();
      await page.locator('[data-series-key]').first().waitFor({ timeout: 120_000 });
      return openSeries(page);
    };
    const cold = await importAndOpen();
    const frames = scrollFrames(page);
    const f = stats(await frames);
    // Warm: reload the page; the main process still holds the decoded volume.
    await page.goto(host.url);
    const warm = await importAndOpen();
    const renderer = await page.evaluate(() => {
      const gl = document.createElement('canvas').getContext('webgl2');
      const ext = gl?.getExtension('WEBGL_debug_renderer_info');
      return ext && gl ? String(gl.getParameter(ext.UNMASKED_RENDERER_WEBGL)) : 'unknown';
    });
    const fmt = (ms: number) => Number(ms.toFixed(1));
    return {
      title,
      rows: [
        { metric: 'open series -> first image, cold (decode included)', ms: fmt(cold), target: '< 1000 ms' },
        { metric: 'open series -> first image, warm (volume decoded)', ms: fmt(warm), target: '< 1000 ms' },
        {
          metric: `scroll frame time, mean (${(await frames).length} slices)`,
          ms: fmt(f.mean),
          target: '< 16.7 ms',
        },
        { metric: 'scroll frame time, median', ms: fmt(f.median), target: '< 16.7 ms' },
        { metric: 'scroll frame time, p95', ms: fmt(f.p95), target: '< 16.7 ms' },
        { metric: 'scroll rate, mean', ms: `${fmt(1000 / f.mean)} fps`, target: '60 fps' },
      ],
      note:
        `WebGL renderer: ${renderer}. Window 1400×900, single axial (stack) view. ` +
        `Machine load average at the end: ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores ` +
        '(software WebGL shares the CPU with everything else; a GPU workstation is the real target).',
    };
  } finally {
    await browser.close();
    await host.close();
  }
}
