/**
 * The reading workflow on LIDC-IDRI-0001 with the shipped models (CPU): analyse, see the heatmap
 * over the LUNA16 nodule (pixel colour at its screen position differs with the overlay on and
 * off), click the finding, accept it, export the report and check the PDF with poppler; then the
 * clinical inputs on the same analysis (clinical-inputs-steps.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import type { Page } from '@playwright/test';
import type { AnalysisSummary } from '../../src/shared/analysis-contract';
import { lidcStudy, missingData, repoRoot } from '../support/shared-data';
import { checkClinicalInputs } from './clinical-inputs-steps';
import { expect, screenshotDir, test, settle } from './fixtures';

// The test host analyses with PULMOLENS_MODELS_DIR when set, else the shipped models/.
const modelsDir = process.env.PULMOLENS_MODELS_DIR ?? join(repoRoot, 'models');
const modelsMissing = existsSync(join(modelsDir, 'manifest.json'))
  ? null
  : `trained models not shipped yet (${join(modelsDir, 'manifest.json')} absent)`;
const skipReason = missingData('ct/LIDC-IDRI-0001.tar.xz') ?? modelsMissing;

/** LUNA16's nodule of LIDC-IDRI-0001 (world LPS mm) and its diameter. */
const NODULE: [number, number, number] = [56.2084, 86.3434, -115.8676];
const NODULE_DIAMETER_MM = 23.35;

/** Mean RGB of a 7x7 patch around a point of a PNG screenshot. */
function patchColour(png: PNG, x: number, y: number): [number, number, number] {
  const sum: [number, number, number] = [0, 0, 0];
  let n = 0;
  for (let dy = -3; dy <= 3; dy++) {
    for (let dx = -3; dx <= 3; dx++) {
      const px = Math.round(x + dx);
      const py = Math.round(y + dy);
      if (px < 0 || py < 0 || px >= png.width || py >= png.height) continue;
      const i = 4 * (px + py * png.width);
      sum[0] += png.data[i]!;
      sum[1] += png.data[i + 1]!;
      sum[2] += png.data[i + 2]!;
      n++;
    }
  }
  return sum.map((v) => v / Math.max(1, n)) as [number, number, number];
}

async function worldToCanvas(
  page: Page,
  w: [number, number, number],
  id = 'axial',
): Promise<[number, number]> {
  return page.evaluate(
    ([w, id]) => {
      const hook = window.__pulmolens as unknown as {
        engine: { worldToCanvas(id: string, w: number[]): [number, number] | null };
      };
      return hook.engine.worldToCanvas(id, w)!;
    },
    [w, id] as const,
  );
}

test.describe('findings on LIDC-IDRI-0001', () => {
  test.skip(skipReason !== null, skipReason ?? '');

  test('analyse, heatmap over the nodule, select, accept, export the PDF', async ({ app: page }) => {
    // The real detector and characterizer on CPU, on a machine shared with other jobs.
    test.setTimeout(1_200_000);
    const study = lidcStudy('0001');
    await page.getByLabel('Folder path').fill(study.root);
    await page.getByRole('button', { name: 'Import' }).click();
    const series = page.locator('[data-series-key]');
    await expect(series).toHaveCount(1, { timeout: 120_000 });
    const key = (await series.getAttribute('data-series-key'))!;
    await series.click();
    await expect(page.locator('.viewport-grid[data-rendered="yes"]')).toBeVisible({ timeout: 120_000 });

    // Analyse with the hotkey: a progress bar, then the model line.
    await page.locator('[data-viewport-id="axial"]').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('a');
    await expect(page.getByRole('progressbar', { name: 'Analysis progress' })).toBeVisible();
    const modelLine = page.getByTestId('model-line');
    await expect(modelLine).toBeVisible({ timeout: 1_100_000 });
    await expect(modelLine).toContainText(/ on (cpu|cuda|tensorrt|dml|coreml|webgpu)/i);
    const analysis = await page.evaluate(async (key) => {
      const r = await window.api.invoke('analysis.get', { key });
      return r.ok ? r.value : null;
    }, key);
    expect(analysis).not.toBeNull();
    const a = analysis as AnalysisSummary;
    await expect(modelLine).toContainText(a.model.version);
    await page.screenshot({ path: join(screenshotDir, 'findings-01-analysed.png') });

    // The finding on the LUNA16 nodule (centre within its radius), else the most probable one;
    // with no finding above the operating threshold, the overlay is still checked at the nodule.
    const listed = a.document.findings.filter((f) => f.probability >= a.threshold);
    const dist = (p: number[]) => Math.hypot(p[0]! - NODULE[0], p[1]! - NODULE[1], p[2]! - NODULE[2]);
    const onNodule = listed.filter((f) => dist(f.centerLps) <= NODULE_DIAMETER_MM / 2);
    const target = onNodule[0] ?? [...listed].sort((x, y) => y.probability - x.probability)[0] ?? null;
    test.info().annotations.push({
      type: 'finding',
      description: onNodule.length
        ? `detector found the LUNA16 nodule: ${target!.id} at ${dist(target!.centerLps).toFixed(1)} mm, p ${target!.probability}`
        : target
          ? `detector missed the LUNA16 nodule; overlay checked at the most probable finding ${target.id}`
          : `no finding at or above ${a.threshold} (${a.document.findings.length} candidates below); overlay checked at the LUNA16 nodule, accept skipped`,
    });
    const rows = page.locator('tr[data-finding-id]');
    await expect(rows).toHaveCount(listed.length);

    let world: [number, number, number] = NODULE;
    const row = target ? page.locator(`tr[data-finding-id="${target.id}"]`) : null;
    if (target && row) {
      // Click the row: all viewports centre on it.
      await row.locator('td').first().click();
      await expect(row).toHaveAttribute('aria-selected', 'true');
      await expect
        .poll(() => page.evaluate(() => window.__pulmolens!.sliceIndex('axial')), { timeout: 30_000 })
        .toBe(Math.round(target.centerVoxel[2]));
      if (!onNodule.length) world = target.centerLps as [number, number, number];
    } else {
      // Scroll to the nodule's slice with the keyboard.
      const g = a.heatmap;
      const k = Math.round((NODULE[2] - g.originLps[2]) / (g.spacingMm[2] * g.direction[8]));
      await page.locator('[data-viewport-id="axial"]').click({ position: { x: 5, y: 5 } });
      for (let i = 0; i < 200; i++) {
        const now = await page.evaluate(() => window.__pulmolens!.sliceIndex('axial'));
        if (now === k) break;
        // Down goes toward the feet (lower k), as on a PACS.
        await page.keyboard.press(now < k ? 'ArrowUp' : 'ArrowDown');
      }
      await expect.poll(() => page.evaluate(() => window.__pulmolens!.sliceIndex('axial'))).toBe(k);
    }

    // The overlay is drawn there: make sure the threshold does not hide this probability.
    const p = await page.evaluate((w) => {
      const o = (window as unknown as { __pulmolensOverlay?: { probabilityAt(w: number[]): number | null } })
        .__pulmolensOverlay;
      return o?.probabilityAt(w) ?? null;
    }, world);
    expect(p, 'heatmap probability at the finding').not.toBeNull();
    expect(p!).toBeGreaterThan(0.05);
    if (p! < 0.25) await page.getByLabel('Heatmap threshold').fill('0');
    await page.getByLabel('Heatmap opacity').fill('0.8');
    await settle(page);
    const [cx, cy] = await worldToCanvas(page, world);
    const axial = page.locator('[data-viewport-id="axial"]');
    const on = PNG.sync.read(
      await axial.screenshot({ path: join(screenshotDir, 'findings-02-overlay-on.png') }),
    );
    // Focus out of the sliders (hotkeys do not fire while typing into an input).
    await axial.click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('h');
    await expect(page.getByLabel('Show overlay (H)')).not.toBeChecked();
    await settle(page);
    const off = PNG.sync.read(
      await axial.screenshot({ path: join(screenshotDir, 'findings-03-overlay-off.png') }),
    );
    const cOn = patchColour(on, cx, cy);
    const cOff = patchColour(off, cx, cy);
    const diff = Math.max(...cOn.map((v, i) => Math.abs(v - cOff[i]!)));
    expect(
      diff,
      `colour at the finding: on ${cOn.map(Math.round)} vs off ${cOff.map(Math.round)}`,
    ).toBeGreaterThan(25);
    // With the overlay on, the spot is tinted (red channel above blue); off, it is grey.
    expect(cOn[0] - cOn[2]).toBeGreaterThan(20);
    expect(Math.abs(cOff[0] - cOff[2])).toBeLessThan(10);
    await page.keyboard.press('h');
    await expect(page.getByLabel('Show overlay (H)')).toBeChecked();

    // The overlay follows a MIP slab and the MPR planes too: the colour at the finding's screen
    // position changes when the overlay is toggled in each of them.
    const toggledAt = async (id: string, name: string) => {
      const view = page.locator(`[data-viewport-id="${id}"]`);
      await view.click({ position: { x: 5, y: 5 } });
      await settle(page);
      const [x, y] = await worldToCanvas(page, world, id);
      const shown = PNG.sync.read(
        await view.screenshot({ path: join(screenshotDir, `findings-${name}-on.png`) }),
      );
      await page.keyboard.press('h');
      await settle(page);
      const hidden = PNG.sync.read(
        await view.screenshot({ path: join(screenshotDir, `findings-${name}-off.png`) }),
      );
      await page.keyboard.press('h');
      await expect(page.getByLabel('Show overlay (H)')).toBeChecked();
      const a1 = patchColour(shown, x, y);
      const a0 = patchColour(hidden, x, y);
      return Math.max(...a1.map((v, i) => Math.abs(v - a0[i]!)));
    };
    if (target && row) {
      await page.getByLabel('MIP slab').check();
      await expect(page.locator('[data-overlay-for="axial"] .vp-label')).toContainText('MIP');
      expect(await toggledAt('axial', '06-mip'), 'MIP').toBeGreaterThan(25);
      await page.getByLabel('MIP slab').uncheck();
      await page.getByRole('button', { name: 'MPR 1×3' }).click();
      await expect.poll(() => page.evaluate(() => window.__pulmolens!.viewportIds().length)).toBe(3);
      await settle(page);
      await row.locator('td').first().click(); // centre the three planes on the finding
      for (const id of ['coronal', 'sagittal'])
        expect(await toggledAt(id, `07-${id}`), id).toBeGreaterThan(25);
      await page.getByRole('button', { name: '1×1' }).click();
      await expect.poll(() => page.evaluate(() => window.__pulmolens!.viewportIds().length)).toBe(1);
    }

    if (target && row) {
      // The model does not assess the margin (its manifest says so): the row claims none.
      await expect(row.getByTestId('finding-margin')).toHaveText('—');
      await expect(row.getByTestId('finding-lungrads')).toHaveText(target.lungRads);
      // Accept it as spiculated: the status follows, a category 3-4B nodule becomes 4X, and the
      // review is stored with who and when and the reader's margin.
      await page.getByLabel('Margin').selectOption('spiculated');
      await page.getByRole('button', { name: 'Accept' }).click();
      await expect(row.getByTestId('finding-status')).toHaveText('accepted');
      await expect(row.getByTestId('finding-margin')).toHaveText('spiculated');
      const modifiable = ['3', '4A', '4B'].includes(target.lungRads);
      await expect(row.getByTestId('finding-lungrads')).toHaveText(modifiable ? '4X' : target.lungRads);
      if (modifiable) await expect(page.getByTestId('exam-lungrads')).toHaveText('4X');
      // The panel shows the decision at once; the vault has it when the save has answered. Wait on
      // that state (the row's save marker goes away), then read what is stored.
      await expect(row).toHaveAttribute('data-save', 'stored');
      const storedDecision = () =>
        page.evaluate(
          async ({ key, id }) => {
            const r = await window.api.invoke('analysis.get', { key });
            return r.ok && r.value ? (r.value.review.decisions[id] ?? null) : null;
          },
          { key, id: target.id },
        );
      await expect.poll(async () => (await storedDecision())?.kind, { timeout: 30_000 }).toBe('accepted');
      const decision = await storedDecision();
      expect(decision).toMatchObject({ kind: 'accepted', spiculated: true });
      expect(decision?.reviewer).toBeTruthy();
      expect(Date.parse(decision!.at)).toBeGreaterThan(Date.now() - 600_000);
    }

    // The saliency map of the selected finding (occlusion sensitivity of the characterizer).
    if (target && row) {
      await page.getByRole('button', { name: 'Explain (saliency)' }).click();
      const sal = page.getByTestId('saliency');
      await expect(sal).toBeVisible({ timeout: 180_000 });
      // The score under the map is the characterizer's p_nodule, named as such: the finding's own
      // probability is that score fused with a second U-Net (score-fusion.ts), another number.
      await expect(
        page.getByText(/Occlusion sensitivity of the characterizer.*p_nodule \d\.\d\d/),
      ).toBeVisible();
      await sal.screenshot({ path: join(screenshotDir, 'findings-08-saliency.png') });
    }

    // Export the report where we choose; pdftotext finds the text, pdftoppm renders the page.
    const out = mkdtempSync(join(tmpdir(), 'pulmolens-e2e-report-'));
    await page.getByLabel('Report folder').fill(out);
    await page.getByRole('button', { name: 'Export report' }).click();
    await expect(page.getByTestId('export-done')).toBeVisible({ timeout: 240_000 });
    const pdf = join(out, 'report.pdf');
    expect(statSync(pdf).size).toBeGreaterThan(target ? 10_000 : 2_000);
    const text = execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' });
    expect(text).toMatch(/research use, not for diagnosis/i);
    expect(text).toContain(a.model.version);
    expect(text).toMatch(/Lung-RADS/);
    if (target && onNodule.length) expect(text).toMatch(/accepted/i);
    if (target) expect(text).toContain('spiculated (reader)');

    // Again into the same folder: its files were not written by this export, so nothing is
    // replaced until the reader confirms; then the report is written over them.
    await page.getByRole('button', { name: 'Export report' }).click();
    const replace = page.getByRole('alertdialog', { name: 'Replace existing files' });
    await expect(replace).toContainText('already exists', { timeout: 60_000 });
    await expect(page.getByTestId('export-done')).toHaveCount(0);
    await replace.getByRole('button', { name: 'Replace existing files' }).click();
    await expect(page.getByTestId('export-done')).toBeVisible({ timeout: 240_000 });
    expect(statSync(pdf).size).toBeGreaterThan(2_000);
    execFileSync('pdftoppm', [
      '-png',
      '-r',
      '60',
      '-f',
      '1',
      '-l',
      '1',
      pdf,
      join(screenshotDir, 'findings-04-report'),
    ]);
    const rendered = [
      join(screenshotDir, 'findings-04-report-1.png'),
      join(screenshotDir, 'findings-04-report-01.png'),
    ].find(existsSync);
    expect(rendered, 'pdftoppm rendered page 1').toBeTruthy();
    const page1 = PNG.sync.read(readFileSync(rendered!));
    let dark = 0;
    for (let i = 0; i < page1.width * page1.height; i++) if (page1.data[4 * i]! < 128) dark++;
    expect(dark / (page1.width * page1.height), 'ink on the rendered page').toBeGreaterThan(0.01);
    const images = execFileSync('pdfimages', ['-list', pdf], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .slice(2);
    // Key images (lung window, with and without the heatmap) only for findings the report shows.
    if (target) expect(images.length, 'key images in the PDF').toBeGreaterThanOrEqual(2);
    await page.screenshot({ path: join(screenshotDir, 'findings-05-exported.png') });

    // The same analysis serves the clinical inputs (one shipped-model analysis instead of two).
    expect(target, 'a listed finding for the clinical inputs to change the risk of').not.toBeNull();
    await test.step('clinical inputs: sources, age and emphysema move the risk, LAA-950 confirmed', () =>
      checkClinicalInputs(page));
  });
});
