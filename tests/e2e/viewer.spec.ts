/**
 * The reading workflow on a real chest CT (LIDC-IDRI-0001), in Debian Chromium against the real
 * core through the test host. Assertions are on what is on screen: pixel statistics of the
 * viewport images and the measured length, not only on DOM presence.
 */
import { lidcStudy, missingData } from '../support/shared-data';
import { expect, meanAbsDiff, screenStats, settle, settledVoxelPoints, test } from './fixtures';

const skipReason = missingData('ct/LIDC-IDRI-0001.tar.xz');

test.describe('reading LIDC-IDRI-0001', () => {
  test.skip(skipReason !== null, skipReason ?? '');

  test('import, scroll, presets, MPR layout and a length measurement', async ({ app: page }) => {
    const study = lidcStudy('0001');

    // Import the folder: the study browser lists the one CT series with its slice count.
    await page.getByLabel('Folder path').fill(study.root);
    await page.getByRole('button', { name: 'Import' }).click();
    const series = page.locator('[data-series-key]');
    await expect(series).toHaveCount(1, { timeout: 60_000 });
    await expect(series).toContainText('133 slices');
    await expect(page.getByText('1 file(s) skipped')).toBeVisible(); // reader-annotations.xml

    // Open it: the axial image appears.
    await series.click();
    const grid = page.locator('.viewport-grid[data-rendered="yes"]');
    await expect(grid).toBeVisible({ timeout: 60_000 });
    const axial = page.locator('[data-viewport-id="axial"]');
    await expect(page.getByTestId('slice-axial')).toContainText('/133');
    await expect(page.getByTestId('window-axial')).toHaveText('W 1500 L -600');
    await settle(page);
    const first = await screenStats(axial, '01-axial-lung');
    // A chest CT in the lung window: dark lungs, bright body wall, black corners.
    expect(first.std).toBeGreaterThan(40);
    expect(first.mean).toBeGreaterThan(20);
    expect(first.mean).toBeLessThan(200);
    expect(first.bright, 'air is dark (greyscale not inverted)').toBeLessThan(0.3);

    // Scroll down with the keyboard: toward the feet (lower slice index k), the image number is the
    // DICOM Instance Number (LIDC-IDRI-0001 numbers its 133 slices from the head down).
    const before = await page.evaluate(() => window.__pulmolens!.sliceIndex('axial'));
    await axial.click({ position: { x: 5, y: 5 } }); // focus the viewport area (W/L click is harmless)
    for (let i = 0; i < 12; i++) await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.evaluate(() => window.__pulmolens!.sliceIndex('axial'))).toBe(before - 12);
    await expect(page.getByTestId('slice-axial')).toContainText(`Im ${133 - (before - 12)}/133`);
    await settle(page);
    const scrolled = await screenStats(axial, '02-axial-scrolled');
    expect(meanAbsDiff(first, scrolled)).toBeGreaterThan(2);
    expect(scrolled.bright).toBeLessThan(0.3);

    // Wheel scroll goes the other way.
    await axial.hover();
    await page.mouse.wheel(0, -300);
    await expect
      .poll(() => page.evaluate(() => window.__pulmolens!.sliceIndex('axial')))
      .toBeGreaterThan(before - 12);

    // Presets: mediastinum turns the lungs black (lower mean), lung brings them back.
    await page.getByRole('button', { name: 'Mediastinum' }).click();
    await expect(page.getByTestId('window-axial')).toHaveText('W 350 L 50');
    await settle(page);
    const mediastinum = await screenStats(axial, '03-axial-mediastinum');
    await page.getByRole('button', { name: 'Lung' }).click();
    await expect(page.getByTestId('window-axial')).toHaveText('W 1500 L -600');
    await settle(page);
    const lung = await screenStats(axial, '04-axial-lung-again');
    expect(lung.mean - mediastinum.mean).toBeGreaterThan(10);
    expect(meanAbsDiff(lung, mediastinum)).toBeGreaterThan(10);

    // Hotkey 2 = mediastinum as well.
    await page.keyboard.press('2');
    await expect(page.getByTestId('window-axial')).toHaveText('W 350 L 50');
    await page.keyboard.press('1');
    await expect(page.getByTestId('window-axial')).toHaveText('W 1500 L -600');

    // Three-viewport MPR: coronal and sagittal show real images too.
    await page.getByRole('button', { name: 'MPR 1×3' }).click();
    await expect
      .poll(() => page.evaluate(() => window.__pulmolens!.viewportIds().sort().join(',')))
      .toBe('axial,coronal,sagittal');
    await settle(page);
    await page.screenshot({ path: 'artifacts/e2e-screens/05-mpr-layout.png' });
    for (const id of ['coronal', 'sagittal']) {
      const s = await screenStats(page.locator(`[data-viewport-id="${id}"]`), `06-${id}`);
      expect(s.std, `${id} viewport shows an image`).toBeGreaterThan(30);
    }
    await expect(page.locator('[data-overlay-for="coronal"] .marker.top')).toHaveText('S');
    await expect(page.locator('[data-overlay-for="axial"] .marker.left')).toHaveText('R');

    // Length measurement across 200 columns of the current axial slice.
    await page.getByRole('button', { name: 'Length' }).click();
    const k = await page.evaluate(() => window.__pulmolens!.sliceIndex('axial'));
    const spacing = await page.evaluate(() => window.__pulmolens!.geometry.spacingMm);
    const [a, b] = await settledVoxelPoints(page, 'axial', [
      [156, 256, k],
      [356, 256, k],
    ]);
    const box = (await axial.boundingBox())!;
    await page.mouse.move(box.x + a[0], box.y + a[1]);
    await page.mouse.down();
    await page.mouse.move(box.x + b[0], box.y + b[1], { steps: 12 });
    await page.mouse.up();
    const item = page.locator('[data-measurement-tool="Length"] .value');
    await expect(item).toContainText('mm');
    // Expected from the DICOM pixel spacing alone: the drag covers 200 columns, rounded to whole
    // screen pixels at each end. Polled: the list follows the tool's last redraw after mouse-up.
    const expected = 200 * spacing[0];
    const error = async () => Math.abs(parseFloat((await item.textContent()) ?? '') - expected);
    await expect.poll(error, { timeout: 10_000 }).toBeLessThan(1);
    await page.screenshot({ path: 'artifacts/e2e-screens/07-length.png' });

    // Backspace deletes it.
    await page.keyboard.press('Backspace');
    await expect(page.locator('[data-measurement-tool="Length"]')).toHaveCount(0);
  });
});
