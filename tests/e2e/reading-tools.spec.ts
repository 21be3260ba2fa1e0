/**
 * The reader's own tools on LIDC-IDRI-0001: measurements deleted by key and by the list, kept in
 * the vault across lock and unlock; elliptical and circular ROI statistics against pydicom + numpy;
 * invert, typed window, the 2×2 layout with a 30 mm MIP slab, the overlay text and the "?" panel.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { lidcStudy, missingData, repoRoot } from '../support/shared-data';
import { HOTKEYS } from '../../src/renderer/viewer/hotkeys';
import { expect, screenStats, settle, settledVoxelPoints, test, unlockVault } from './fixtures';

const skipReason = missingData('ct/LIDC-IDRI-0001.tar.xz');

interface HookMeasurement {
  uid: string;
  tool: string;
  text: string;
  value: number;
  points: [number, number, number][];
  stats: Record<string, number | string>;
}
const measurements = (page: Page) =>
  page.evaluate(
    () =>
      (
        window.__pulmolens as unknown as { measurements(): HookMeasurement[] }
      ).measurements() as HookMeasurement[],
  );

async function openLidc(page: Page): Promise<void> {
  await page.getByLabel('Folder path').fill(lidcStudy('0001').seriesDir);
  await page.getByRole('button', { name: 'Import' }).click();
  await page.locator('[data-series-key]').click({ timeout: 90_000 });
  await expect(page.locator('.viewport-grid[data-rendered="yes"]')).toBeVisible({ timeout: 90_000 });
}

/** Drags with the left button between two voxels of the axial view's current slice. */
async function dragVoxels(page: Page, from: [number, number], to: [number, number]): Promise<void> {
  const k = await page.evaluate(() => window.__pulmolens!.sliceIndex('axial'));
  const [a, b] = await settledVoxelPoints(page, 'axial', [
    [from[0], from[1], k],
    [to[0], to[1], k],
  ]);
  const box = (await page.locator('[data-viewport-id="axial"]').boundingBox())!;
  await page.mouse.move(box.x + a[0], box.y + a[1]);
  await page.mouse.down();
  await page.mouse.move(box.x + b[0], box.y + b[1], { steps: 8 });
  await page.mouse.up();
}

function correlation(a: Float32Array, b: Float32Array): number {
  const n = Math.min(a.length, b.length);
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i]! - ma;
    const y = b[i]! - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return sab / Math.sqrt(saa * sbb);
}

const rows = (page: Page) => page.locator('.measurements li');

/** What the vault holds for the open series (the saves are debounced: wait on this, not on time). */
async function storedMeasurements(page: Page): Promise<string[][]> {
  const key = await page.locator('[data-series-key]').first().getAttribute('data-series-key');
  return page.evaluate(async (key) => {
    const r = await window.api.invoke('measurements.get', { key: key! });
    return r.ok ? r.value.measurements.map((m) => [m.tool, m.text]) : [['error', r.error.message]];
  }, key);
}

test.describe('reading tools on LIDC-IDRI-0001', () => {
  test.skip(skipReason !== null, skipReason ?? '');

  test('measurements are deleted with Delete/Backspace and with the list button', async ({ app: page }) => {
    await openLidc(page);
    await page.getByRole('button', { name: 'Length' }).click();
    await dragVoxels(page, [150, 200], [250, 200]);
    await dragVoxels(page, [150, 260], [230, 260]);
    await expect(rows(page)).toHaveCount(2);

    // Select the first in the list, Delete removes that one (not the newest).
    const [first, second] = await measurements(page);
    await page.locator(`[data-uid="${first!.uid}"] button.link`).click();
    await page.keyboard.press('Delete');
    await expect(rows(page)).toHaveCount(1);
    await expect(page.locator(`[data-uid="${second!.uid}"]`)).toHaveCount(1);

    // Cornerstone still "selects" the removed annotation: Delete must reach the next one anyway.
    await dragVoxels(page, [300, 300], [360, 300]);
    await expect(rows(page)).toHaveCount(2);
    // A checkbox keeps focus after a click; Backspace still belongs to the viewer.
    await page.getByLabel('MIP slab').check();
    await page.getByLabel('MIP slab').uncheck();
    // The slab switch rebuilds the viewport; delete once that is done (a Backspace during the
    // rebuild was seen to be undone by it: noted as a known race, not what this test is about).
    await settle(page);
    await page.keyboard.press('Backspace');
    await expect(rows(page)).toHaveCount(1);
    await page.keyboard.press('Backspace');
    await expect(rows(page)).toHaveCount(0);

    // The list's × button.
    await dragVoxels(page, [150, 200], [250, 200]);
    await expect(rows(page)).toHaveCount(1);
    await page.getByRole('button', { name: /^Delete measurement / }).click();
    await expect(rows(page)).toHaveCount(0);
    await expect.poll(async () => (await measurements(page)).length).toBe(0);
    await page.screenshot({ path: join(repoRoot, 'artifacts/e2e-screens/20-measurements-deleted.png') });
  });

  test('a measurement deleted while the MIP slab switch rebuilds the view stays deleted', async ({
    app: page,
  }) => {
    await openLidc(page);
    await page.getByRole('button', { name: 'Length' }).click();
    for (const y of [120, 180, 240, 300, 360]) await dragVoxels(page, [150, y], [250, y]);
    await expect(rows(page)).toHaveCount(5);
    await settle(page);
    // Each switch rebuilds the viewport (stack <-> volume view); the key lands while one or two
    // rebuilds are still in flight.
    for (let left = 4; left >= 1; left--) {
      await page.getByLabel('MIP slab').click();
      if (left % 2 === 0) await page.getByLabel('MIP slab').click();
      await page.keyboard.press('Backspace');
      await settle(page);
      await expect(rows(page)).toHaveCount(left);
      await expect.poll(async () => (await measurements(page)).length).toBe(left);
    }
  });

  test('measurements are kept with the series in the vault across lock and unlock', async ({ app: page }) => {
    await openLidc(page);
    await page.keyboard.press('End');
    await page.getByRole('button', { name: 'Length' }).click();
    await dragVoxels(page, [150, 200], [250, 200]);
    await page.getByRole('button', { name: 'Circle' }).click();
    await dragVoxels(page, [256, 300], [266, 300]);
    await expect(rows(page)).toHaveCount(2);
    await expect(page.locator('[data-measurement-tool="CircleROI"] .value')).toContainText('HU');
    // The ROI statistics follow the end of the drag: read them once the view has settled and they
    // no longer change.
    let before: string[][] = [];
    let previous = '';
    await expect
      .poll(async () => {
        await settle(page);
        before = (await measurements(page)).map((m) => [m.tool, m.text]);
        const same = JSON.stringify(before) === previous;
        previous = JSON.stringify(before);
        return same;
      })
      .toBe(true);
    // Saved shortly after the last change: wait until the vault holds what the screen shows.
    await expect.poll(() => storedMeasurements(page), { timeout: 30_000 }).toEqual(before);

    await page.getByRole('button', { name: 'Lock' }).click();
    await expect(page.getByTestId('lock-screen')).toBeVisible();
    await unlockVault(page);
    await page.locator('[data-series-key]').click({ timeout: 60_000 });
    await expect(page.locator('.viewport-grid[data-rendered="yes"]')).toBeVisible({ timeout: 90_000 });
    await expect(rows(page)).toHaveCount(2);
    await expect.poll(async () => (await measurements(page)).map((m) => [m.tool, m.text])).toEqual(before);
    // Redrawn on their slice: the last one, where they were drawn.
    await page.keyboard.press('End');
    await settle(page);
    await page.screenshot({ path: join(repoRoot, 'artifacts/e2e-screens/21-measurements-after-unlock.png') });

    // A deletion is kept too.
    await page.locator('[data-measurement-tool="Length"] button.delete').click();
    await expect(rows(page)).toHaveCount(1);
    const kept = (await measurements(page)).map((m) => [m.tool, m.text]);
    await expect.poll(() => storedMeasurements(page), { timeout: 30_000 }).toEqual(kept);
    await page.getByRole('button', { name: 'Lock' }).click();
    await unlockVault(page);
    await page.locator('[data-series-key]').click({ timeout: 60_000 });
    await expect(page.locator('.viewport-grid[data-rendered="yes"]')).toBeVisible({ timeout: 90_000 });
    await expect(rows(page)).toHaveCount(1);
    await expect(page.locator('[data-measurement-tool="CircleROI"]')).toHaveCount(1);
  });

  test('ellipse and circle ROI: mean ± SD HU and area agree with pydicom + numpy', async ({ app: page }) => {
    await openLidc(page);
    await page.keyboard.press('2'); // mediastinal window
    await page.getByRole('button', { name: 'Ellipse' }).click();
    await dragVoxels(page, [225, 280], [285, 320]);
    await page.getByRole('button', { name: 'Circle' }).click();
    await dragVoxels(page, [200, 360], [215, 360]);
    await expect(page.locator('[data-measurement-tool="EllipticalROI"] .value')).toContainText('mm²');
    await expect(page.locator('[data-measurement-tool="CircleROI"] .value')).toContainText('mm²');
    await page.screenshot({ path: join(repoRoot, 'artifacts/e2e-screens/22-roi.png') });
    const ms = await measurements(page);
    for (const [tool, shape] of [
      ['EllipticalROI', 'ellipse'],
      ['CircleROI', 'circle'],
    ] as const) {
      const m = ms.find((x) => x.tool === tool)!;
      const r = spawnSync(
        '/usr/bin/python3',
        [
          join(repoRoot, 'tests/support/roi_reference.py'),
          lidcStudy('0001').seriesDir,
          JSON.stringify({ shape, points: m.points }),
        ],
        { encoding: 'utf8' },
      );
      expect(r.status, r.stderr).toBe(0);
      const ref = JSON.parse(r.stdout) as {
        mean: number;
        sd: number;
        sd_sample: number;
        area_mm2: number;
        n: number;
      };
      const s = m.stats as { meanHu: number; stdDevHu: number; areaMm2: number };
      console.log(tool, JSON.stringify({ app: s, ref }));
      expect(ref.n).toBeGreaterThan(50);
      expect(Math.abs(s.meanHu - ref.mean)).toBeLessThan(Math.max(1.5, ref.sd * 0.05));
      expect(Math.abs(s.stdDevHu - ref.sd) / ref.sd).toBeLessThan(0.05);
      expect(Math.abs(s.areaMm2 - ref.area_mm2) / ref.area_mm2).toBeLessThan(0.02);
      // The list shows the same numbers.
      await expect(page.locator(`[data-uid="${m.uid}"] .value`)).toHaveText(
        `${s.meanHu.toFixed(1)} ± ${s.stdDevHu.toFixed(1)} HU · ${s.areaMm2.toFixed(1)} mm²`,
      );
    }
  });

  test('invert, typed window, 2×2 with a 30 mm MIP slab, overlay text and the "?" panel', async ({
    app: page,
  }) => {
    await openLidc(page);
    const axial = page.locator('[data-viewport-id="axial"]');
    const overlay = page.locator('[data-overlay-for="axial"]');

    // Overlay: demographics, zoom and window.
    await expect(page.getByTestId('demographics-axial')).toContainText('LIDC-IDRI-0001');
    await expect(page.getByTestId('zoom-axial')).toHaveText(/^Zoom \d+%$/);
    await expect(page.getByTestId('window-axial')).toHaveText('W 1500 L -600');
    await overlay.screenshot({ path: join(repoRoot, 'artifacts/e2e-screens/23-overlay-text.png') });

    // I inverts (air turns white), I again restores.
    const normal = await screenStats(axial, '24-before-invert');
    await page.keyboard.press('i');
    await expect(page.getByTestId('window-axial')).toContainText('inverted');
    await settle(page);
    const inverted = await screenStats(axial, '25-inverted');
    // Inside the scan circle every grey flips: the two screenshots are strongly anti-correlated.
    expect(correlation(normal.gray, inverted.gray)).toBeLessThan(-0.5);
    await page.keyboard.press('i');
    await expect(page.getByTestId('window-axial')).not.toContainText('inverted');

    // Typed window values.
    await page.getByLabel('Window width (HU)').fill('400');
    await page.getByLabel('Window centre (HU)').fill('40');
    await page.getByLabel('Window centre (HU)').press('Enter');
    await expect(page.getByTestId('window-axial')).toHaveText('W 400 L 40');
    await page.getByLabel('Window width (HU)').fill('abc');
    await page.getByLabel('Window width (HU)').press('Enter');
    await expect(page.getByRole('alert').filter({ hasText: 'must be numbers' })).toBeVisible();
    await expect(page.getByTestId('window-axial')).toHaveText('W 400 L 40');

    // 2×2: axial, coronal, sagittal and an axial MIP slab, up to 30 mm.
    await page.getByRole('button', { name: '2×2' }).click();
    await expect.poll(() => page.evaluate(() => window.__pulmolens!.viewportIds().length)).toBe(4);
    const mipLabel = page.locator('[data-overlay-for="mip"] .vp-label');
    await expect(mipLabel).toHaveText('Axial MIP · MIP 10 mm');
    const mip = page.locator('[data-viewport-id="mip"]');
    await settle(page);
    const slab10 = await screenStats(mip, '26-grid-mip-10mm');
    await page.getByLabel('Slab thickness (mm)').fill('30');
    await expect(mipLabel).toHaveText('Axial MIP · MIP 30 mm');
    await settle(page);
    const slab30 = await screenStats(mip, '27-grid-mip-30mm');
    expect(slab30.mean).toBeGreaterThan(slab10.mean);
    await page.screenshot({ path: join(repoRoot, 'artifacts/e2e-screens/28-layout-2x2.png') });

    // "?" lists every hotkey from the one table; Esc closes it.
    await page.keyboard.press('?');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await expect(help).toBeVisible();
    await expect(help.locator('tr[data-hotkey]')).toHaveCount(HOTKEYS.length);
    await expect(help.locator('tr[data-hotkey="I"]')).toContainText('Invert grey scale');
    await expect(help.locator('tr[data-hotkey="Delete Backspace"]')).toContainText('Delete the selected');
    await page.screenshot({ path: join(repoRoot, 'artifacts/e2e-screens/29-hotkey-help.png') });
    await page.keyboard.press('Escape');
    await expect(help).toHaveCount(0);
  });
});
