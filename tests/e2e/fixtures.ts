/**
 * Playwright fixtures: one test host per worker (the real router and core on 127.0.0.1, serving
 * the renderer's test build), started as a child process so the core's worker threads and tsx stay
 * out of Playwright's own process. The page fixture opens the app with the per-run token.
 */
import { test as base, expect, type Locator, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PNG } from 'pngjs';
import { cacheDir, repoRoot } from '../support/shared-data';

/** The test build's landmark hook (src/renderer/components/Workspace.tsx, mode "test" only). */
export interface PulmoLensTestHook {
  sliceIndex(id: string): number;
  sliceCount(id: string): number;
  /** Empty while the viewports are being rebuilt. */
  viewportIds(): string[];
  idle(): boolean;
  /** frames rendered so far over all viewports */
  frames(): number;
  voxelToCanvas(id: string, v: [number, number, number]): [number, number] | null;
  geometry: { dims: [number, number, number]; spacingMm: [number, number, number] };
}
declare global {
  interface Window {
    __pulmolens?: PulmoLensTestHook;
  }
}

export interface HostInfo {
  url: string;
  origin: string;
  token: string;
  /** the host's vault folder and its own temp folder (TMPDIR), scanned for plaintext leaks */
  vaultDir: string;
  tmpDir: string;
}

/** The passphrase of the e2e vault (tests/e2e/vault.spec.ts knows it too). */
export const E2E_PASSPHRASE = 'e2e vault passphrase: not a real one';
/** The reader the e2e tests unlock as: reviews and audit entries name them. */
export const E2E_READER = { name: 'Dr E2E Reader' };
/** The recovery code shown when this worker's vault was created (for the recovery test). */
export const e2eVault = { recoveryCode: null as string | null };

async function startHost(modelsDir?: string): Promise<{ info: HostInfo; child: ChildProcess; tmp: string }> {
  // A temp folder of its own (not the shared /tmp), so leak scans see only this host's files.
  const tmp = mkdtempSync(join(tmpdir(), 'pulmolens-e2e-host-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'tests/host/serve.ts'], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'inherit'],
    // The page's folder browser sees the extracted test data only.
    env: {
      ...process.env,
      TMPDIR: tmp,
      PULMOLENS_BROWSE_ROOTS: cacheDir,
      ...(modelsDir ? { PULMOLENS_MODELS_DIR: modelsDir } : {}),
    },
  });
  const lines = createInterface({ input: child.stdout! });
  const info = await new Promise<HostInfo>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('test host did not start within 120 s')), 120_000);
    child.once('exit', (code) => reject(new Error(`test host exited with code ${code}`)));
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line) as HostInfo);
    });
  });
  return { info, child, tmp };
}

/** Calls the host's router directly (setup and cleanup outside the page). */
export async function hostInvoke<T = unknown>(
  host: HostInfo,
  channel: string,
  payload: unknown = {},
): Promise<T> {
  const r = await fetch(`${host.origin}/api/invoke/${channel}`, {
    method: 'POST',
    headers: { 'x-pulmolens-token': host.token, 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
  const body = (await r.json()) as { ok: boolean; value?: T; error?: { code: string; message: string } };
  if (!body.ok) throw new Error(`${channel}: ${body.error?.code}: ${body.error?.message}`);
  return body.value as T;
}

/** Creates the vault on the first run, unlocks it afterwards, through the lock screen. */
export async function unlockVault(page: Page, passphrase = E2E_PASSPHRASE): Promise<void> {
  const lock = page.getByTestId('lock-screen');
  await expect(lock).toBeVisible({ timeout: 30_000 });
  const create = page.getByRole('button', { name: 'Create vault' });
  const unlock = page.getByRole('button', { name: 'Unlock', exact: true });
  await expect(create.or(unlock)).toBeVisible({ timeout: 30_000 });
  if (await create.isVisible()) {
    await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
    await page.getByLabel('Confirm passphrase').fill(passphrase);
    await page.getByLabel('Your name').fill(E2E_READER.name);
    await create.click();
    // Shown once: the workspace opens when the reader says they wrote it down.
    await expect(page.getByTestId('recovery-code')).toHaveText(/^[A-Z2-7]{5}(-[A-Z2-7]{5}){5}$/);
    e2eVault.recoveryCode = await page.getByTestId('recovery-code').innerText();
    await page.getByRole('button', { name: 'I have written it down' }).click();
  } else {
    await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
    await page.getByLabel('Your name').fill(E2E_READER.name);
    await unlock.click();
  }
  await expect(page.getByTestId('vault-bar')).toBeVisible({ timeout: 60_000 });
}

/** Leaves the worker's vault empty and locked for the next test. */
async function emptyAndLock(host: HostInfo): Promise<void> {
  const status = await hostInvoke<{ exists: boolean; unlocked: boolean }>(host, 'vault.status');
  if (!status.exists) return;
  if (!status.unlocked)
    await hostInvoke(host, 'vault.unlock', { passphrase: E2E_PASSPHRASE, reader: E2E_READER });
  const { studies } = await hostInvoke<{ studies: { ref: string }[] }>(host, 'vault.studies');
  for (const st of studies) await hostInvoke(host, 'vault.deleteStudy', { ref: st.ref });
  await hostInvoke(host, 'vault.lock');
}

export const test = base.extend<{ app: Page }, { host: HostInfo; modelsDir: string | undefined }>({
  /** The models folder the host analyses with (default: the shipped models/). */
  modelsDir: [undefined, { scope: 'worker', option: true }],
  host: [
    async ({ modelsDir }, provide) => {
      const { info, child, tmp } = await startHost(modelsDir);
      await provide(info);
      child.stdin?.end();
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      rmSync(tmp, { recursive: true, force: true });
    },
    { scope: 'worker', timeout: 180_000 },
  ],
  app: async ({ page, host }, provide) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(host.url);
    // The app opens on its lock screen; every test starts by unlocking an empty vault.
    await unlockVault(page);
    await provide(page);
    await emptyAndLock(host);
    expect(errors, 'uncaught errors in the renderer').toEqual([]);
  },
});

export { expect };

/**
 * The shipped models with another operating threshold, for tests of the reading mechanics (marks,
 * next/previous, reject) that need more than the one finding the shipped threshold lists on
 * LIDC-IDRI-0001. Same ONNX files and checksums; only operatingPoint.threshold differs.
 */
export function modelsWithThreshold(threshold: number): string {
  const src = join(repoRoot, 'models');
  const dir = join(cacheDir, `e2e-models-threshold-${threshold}`);
  mkdirSync(dir, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(src, 'manifest.json'), 'utf8')) as {
    operatingPoint: { threshold: number; criterion?: string };
  };
  manifest.operatingPoint.threshold = threshold;
  manifest.operatingPoint.criterion = `test fixture: threshold set to ${threshold} by tests/e2e/fixtures.ts`;
  for (const f of readdirSync(src).filter((f) => f.endsWith('.onnx')))
    copyFileSync(join(src, f), join(dir, f));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return dir;
}

export const screenshotDir = join(repoRoot, 'artifacts', 'e2e-screens');
mkdirSync(screenshotDir, { recursive: true });

export interface PixelStats {
  mean: number;
  std: number;
  /** Fraction of pixels brighter than 200 (of 255). */
  bright: number;
  gray: Float32Array;
}

/** Grey-level statistics of what is on screen inside an element (its screenshot). */
export async function screenStats(target: Locator, save?: string): Promise<PixelStats> {
  const buf = await target.screenshot(save ? { path: join(screenshotDir, `${save}.png`) } : {});
  const png = PNG.sync.read(buf);
  const n = png.width * png.height;
  const gray = new Float32Array(n);
  let sum = 0;
  let sum2 = 0;
  let bright = 0;
  for (let i = 0; i < n; i++) {
    const g = (png.data[i * 4]! + png.data[i * 4 + 1]! + png.data[i * 4 + 2]!) / 3;
    gray[i] = g;
    sum += g;
    sum2 += g * g;
    if (g > 200) bright++;
  }
  const mean = sum / n;
  return { mean, std: Math.sqrt(Math.max(0, sum2 / n - mean * mean)), bright: bright / n, gray };
}

/** Mean absolute grey difference between two same-sized screenshots. */
export function meanAbsDiff(a: PixelStats, b: PixelStats): number {
  const n = Math.min(a.gray.length, b.gray.length);
  let d = 0;
  for (let i = 0; i < n; i++) d += Math.abs(a.gray[i]! - b.gray[i]!);
  return d / n;
}

/**
 * Waits on state, not time: until the viewer is idle (no layout being built) and no viewport drew
 * a frame across two animation frames, so screenshots and probes see the finished picture.
 */
export async function settle(page: Page, timeout = 30_000): Promise<void> {
  await expect
    .poll(
      () =>
        page.evaluate(
          () =>
            new Promise<boolean>((resolve) => {
              const hook = window.__pulmolens;
              if (!hook || !hook.idle()) return resolve(false);
              const before = hook.frames();
              requestAnimationFrame(() =>
                requestAnimationFrame(() => resolve(hook.idle() && hook.frames() === before)),
              );
            }),
        ),
      { timeout, intervals: [50, 100, 200] },
    )
    .toBe(true);
}

/**
 * Canvas positions of voxels once the view has settled (a layout switch resizes the canvas and
 * moves the camera for a moment afterwards).
 */
export async function settledVoxelPoints<T extends [number, number, number][]>(
  page: Page,
  id: string,
  voxels: [...T],
): Promise<{ [K in keyof T]: [number, number] }> {
  let pts: ([number, number] | null)[] | null = null;
  await expect
    .poll(
      async () => {
        await settle(page);
        pts = await page.evaluate(
          ({ id, voxels }) => voxels.map((v) => window.__pulmolens!.voxelToCanvas(id, v)),
          { id, voxels },
        );
        return pts.every((p) => p !== null);
      },
      { message: `viewport ${id} did not settle`, timeout: 30_000 },
    )
    .toBe(true);
  return pts as unknown as { [K in keyof T]: [number, number] };
}
