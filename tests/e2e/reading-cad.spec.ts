/**
 * CAD marks and the review on LIDC-IDRI-0001 with the shipped models: numbered marks at the
 * listed findings, next / previous finding keys, rejected findings losing mark and heat, the
 * heatmap staying on its finding when the side panel grows, the same image number in the list,
 * the overlay, pydicom and the PDF, and a reviewed PDF that lists only what the reader kept.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import type { AnalysisSummary } from '../../src/shared/analysis-contract';
import { lidcStudy, missingData, repoRoot } from '../support/shared-data';
import { expect, modelsWithThreshold, screenshotDir, settle as settleViewer, test } from './fixtures';

const shipped = process.env.PULMOLENS_MODELS_DIR ?? join(repoRoot, 'models');
const skipReason =
  missingData('ct/LIDC-IDRI-0001.tar.xz') ??
  (existsSync(join(shipped, 'manifest.json')) ? null : `no models in ${shipped}`);

// The reading mechanics need several marks: at the shipped operating threshold LIDC-IDRI-0001
// lists one finding (its nodule), at 0.3 it lists the nodule and the vessels the reader rejects
// (since session 12 the characterizer learned this scan's vessels as negatives: the strongest
// score 0.34-0.50, so 0.5 listed the nodule alone).
test.use({ modelsDir: skipReason === null ? modelsWithThreshold(0.3) : undefined });

type Vec3 = [number, number, number];

async function worldToCanvas(page: Page, w: Vec3, id = 'axial'): Promise<[number, number]> {
  return page.evaluate(
    ([w, id]) =>
      (
        window.__pulmolens as unknown as {
          engine: { worldToCanvas(id: string, w: number[]): [number, number] | null };
        }
      ).engine.worldToCanvas(id, w)!,
    [w, id] as const,
  );
}

/**
 * Heat-weighted centre (viewport CSS px) of the heatmap drawn within `radius` px of a point, read
 * from the overlay canvas itself; null when nothing is drawn there.
 */
async function heatCentre(page: Page, near: [number, number], radius = 60): Promise<[number, number] | null> {
  return page.evaluate(
    ({ near, radius }) => {
      const c = document.querySelector<HTMLCanvasElement>('canvas[data-heatmap-for="axial"]');
      const el = document.querySelector<HTMLElement>('[data-viewport-id="axial"]');
      if (!c || !el || c.hidden || c.width === 0) return null;
      const sx = parseFloat(c.style.width) / c.width;
      const sy = parseFloat(c.style.height) / c.height;
      const ox = parseFloat(c.style.left) - el.offsetLeft;
      const oy = parseFloat(c.style.top) - el.offsetTop;
      const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let sw = 0;
      let swx = 0;
      let swy = 0;
      for (let y = 0; y < c.height; y++)
        for (let x = 0; x < c.width; x++) {
          const i = 4 * (x + y * c.width);
          if (px[i + 3] === 0) continue;
          const X = ox + (x + 0.5) * sx;
          const Y = oy + (y + 0.5) * sy;
          if (Math.hypot(X - near[0], Y - near[1]) > radius) continue;
          const wgt = px[i]! + px[i + 1]! + px[i + 2]!;
          sw += wgt;
          swx += wgt * X;
          swy += wgt * Y;
        }
      return sw > 0 ? ([swx / sw, swy / sw] as [number, number]) : null;
    },
    { near, radius },
  );
}

/** Waits until the axial view stops moving (camera and canvas settle after a resize). */
async function settle(page: Page, w: Vec3): Promise<[number, number]> {
  let last = '';
  let p: [number, number] = [0, 0];
  await expect
    .poll(
      async () => {
        await settleViewer(page); // idle, and no frame drawn across two animation frames
        p = await worldToCanvas(page, w);
        const key = p.map((v) => v.toFixed(1)).join();
        const stable = key === last;
        last = key;
        return stable;
      },
      { message: 'the axial view did not settle', timeout: 30_000 },
    )
    .toBe(true);
  return p;
}

test.describe('CAD marks and a review that reports follow, on LIDC-IDRI-0001', () => {
  test.skip(skipReason !== null, skipReason ?? '');

  test('numbered marks, next/previous keys, heat that stays on its finding, reviewed PDF', async ({
    app: page,
  }) => {
    test.setTimeout(1_200_000);
    const study = lidcStudy('0001');
    await page.getByLabel('Folder path').fill(study.seriesDir);
    await page.getByRole('button', { name: 'Import' }).click();
    const series = page.locator('[data-series-key]');
    await series.click({ timeout: 60_000 });
    const key = (await series.getAttribute('data-series-key'))!;
    await expect(page.locator('.viewport-grid[data-rendered="yes"]')).toBeVisible({ timeout: 60_000 });
    const axial = page.locator('[data-viewport-id="axial"]');
    await axial.click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('a');
    await expect(page.getByTestId('model-line')).toBeVisible({ timeout: 1_100_000 });
    const a = (await page.evaluate(async (key) => {
      const r = await window.api.invoke('analysis.get', { key });
      return r.ok ? r.value : null;
    }, key)) as AnalysisSummary;
    const rows = page.locator('tr[data-finding-id]');
    const n = await rows.count();
    test
      .info()
      .annotations.push({ type: 'findings', description: `${n} listed at threshold ${a.threshold}` });
    expect(n, 'findings listed (the test needs two)').toBeGreaterThanOrEqual(2);
    const ids = await rows.evaluateAll((trs) => trs.map((t) => t.getAttribute('data-finding-id')!));
    const findingOf = (id: string) => a.document.findings.find((f) => f.id === id)!;
    const mark = (id: string, vp = 'axial') =>
      page.locator(`svg[data-cad-marks-for="${vp}"] [data-cad-mark="${id}"]`);

    // 1. Row 1 selected: its numbered mark sits on it, drawn as the selected one.
    const f1 = findingOf(ids[0]!);
    await rows.first().locator('td').first().click();
    await expect
      .poll(() => page.evaluate(() => window.__pulmolens!.sliceIndex('axial')))
      .toBe(Math.round(f1.centerVoxel[2]));
    const p1 = await settle(page, f1.centerLps as Vec3);
    await expect(mark(f1.id)).toHaveAttribute('data-mark-number', '1');
    await expect(mark(f1.id)).toHaveAttribute('data-selected', 'true');
    const at = async (id: string) =>
      ['data-x', 'data-y'].map(async (k) => Number(await mark(id).getAttribute(k)));
    const [mx, my] = await Promise.all(await at(f1.id));
    expect(Math.hypot(mx! - p1[0], my! - p1[1]), 'mark on the finding (px)').toBeLessThan(2);
    await axial.screenshot({ path: join(screenshotDir, 'cad-01-marks.png') });

    // 2. The same image number in the list, the overlay and pydicom's reading of the file.
    const ref = JSON.parse(
      execFileSync(
        '/usr/bin/python3',
        [
          join(repoRoot, 'tests/support/pydicom_points.py'),
          study.seriesDir,
          'at',
          ...f1.centerLps.map(String),
        ],
        { encoding: 'utf8' },
      ),
    ) as { instanceNumber: number; k: number };
    expect(ref.k).toBe(Math.round(f1.centerVoxel[2]));
    await expect(rows.first().getByTestId('finding-image')).toHaveText(String(ref.instanceNumber));
    await expect(page.getByTestId('slice-axial')).toContainText(`Im ${ref.instanceNumber}/`);

    // 3. ] and [ step through the findings, centring the views and moving the highlight.
    const f2 = findingOf(ids[1]!);
    await axial.click({ position: { x: 5, y: 5 } });
    await page.keyboard.press(']');
    await expect(rows.nth(1)).toHaveAttribute('aria-selected', 'true');
    await expect
      .poll(() => page.evaluate(() => window.__pulmolens!.sliceIndex('axial')))
      .toBe(Math.round(f2.centerVoxel[2]));
    await expect(mark(f2.id)).toHaveAttribute('data-selected', 'true');
    await expect(mark(f2.id)).toHaveAttribute('data-mark-number', '2');
    await page.keyboard.press('[');
    await expect(rows.first()).toHaveAttribute('aria-selected', 'true');
    await expect
      .poll(() => page.evaluate(() => window.__pulmolens!.sliceIndex('axial')))
      .toBe(Math.round(f1.centerVoxel[2]));

    // 4. The side panel grows far past the window: the viewport stays inside the window, its
    //    bottom overlay text stays visible, and the heat stays where it was on the finding; the
    //    same when the window itself is resized (the canvas follows its element a moment later).
    await page.getByLabel('Heatmap threshold').fill('0');
    await axial.click({ position: { x: 5, y: 5 } });
    /** The heat's centre relative to the finding, in mm (independent of the zoom on screen). */
    const heatOffsetMm = async (): Promise<[number, number]> => {
      const q = await settle(page, f1.centerLps as Vec3);
      const mmPerPx =
        (await page.evaluate(
          () =>
            (
              window.__pulmolens as unknown as {
                engine: { viewport(id: string): { getCamera(): { parallelScale: number } } };
              }
            ).engine
              .viewport('axial')
              .getCamera().parallelScale * 2,
        )) / (await axial.boundingBox())!.height;
      const h = await heatCentre(page, q, 30 / mmPerPx);
      expect(h, 'heat drawn around finding 1').not.toBeNull();
      return [(h![0] - q[0]) * mmPerPx, (h![1] - q[1]) * mmPerPx];
    };
    const drift = (a: [number, number], b: [number, number]) => Math.hypot(a[0] - b[0], a[1] - b[1]);
    const o0 = await heatOffsetMm();
    await page.evaluate(() => {
      const filler = document.createElement('div');
      filler.id = 'e2e-tall-panel-content';
      filler.style.height = '2400px';
      filler.textContent = 'long saliency and notes';
      document.querySelector('.findings-panel')!.append(filler);
    });
    const o1 = await heatOffsetMm();
    const win = await page.evaluate(() => ({ w: window.innerWidth, h: window.innerHeight }));
    const vb = (await axial.boundingBox())!;
    expect(vb.y + vb.height, 'viewport bottom inside the window').toBeLessThanOrEqual(win.h + 1);
    const textBox = (await page.getByTestId('slice-axial').boundingBox())!;
    expect(textBox.y + textBox.height, 'bottom overlay text inside the window').toBeLessThanOrEqual(win.h);
    test
      .info()
      .annotations.push({ type: 'heat drift, side panel', description: `${drift(o0, o1).toFixed(2)} mm` });
    expect(drift(o0, o1), 'heat moved off the finding, side panel (mm)').toBeLessThan(1.5);
    await page.screenshot({ path: join(screenshotDir, 'cad-02-tall-side-panel.png') });
    await page.evaluate(() => document.getElementById('e2e-tall-panel-content')?.remove());
    await page.setViewportSize({ width: 1100, height: 700 });
    const o2 = await heatOffsetMm();
    test
      .info()
      .annotations.push({ type: 'heat drift, window resize', description: `${drift(o0, o2).toFixed(2)} mm` });
    expect(drift(o0, o2), 'heat moved off the finding, window resize (mm)').toBeLessThan(1.5);
    await page.screenshot({ path: join(screenshotDir, 'cad-02b-small-window.png') });
    await page.setViewportSize({ width: 1400, height: 900 });

    // 5. Rejecting finding 2 drops its mark (every viewport) and its heat.
    const row2 = page.locator(`tr[data-finding-id="${f2.id}"]`);
    await row2.locator('td').first().click();
    const q2 = await settle(page, f2.centerLps as Vec3);
    await expect(mark(f2.id)).toBeVisible();
    const heatBefore = await heatCentre(page, q2, 8);
    await page.getByRole('button', { name: 'Reject' }).click();
    await expect(row2.getByTestId('finding-status')).toHaveText('rejected');
    await expect(mark(f2.id)).toHaveCount(0);
    await settleViewer(page);
    expect(await heatCentre(page, q2, 8), 'heat left at the rejected finding').toBeNull();
    test.info().annotations.push({ type: 'heat before reject', description: String(heatBefore !== null) });
    await axial.screenshot({ path: join(screenshotDir, 'cad-03-rejected.png') });
    await page.getByRole('button', { name: 'MPR 1×3' }).click();
    await expect.poll(() => page.evaluate(() => window.__pulmolens!.viewportIds().length)).toBe(3);
    await page.locator(`tr[data-finding-id="${f1.id}"] td`).first().click();
    await settle(page, f1.centerLps as Vec3);
    for (const vp of ['axial', 'coronal', 'sagittal']) await expect(mark(f1.id, vp)).toBeVisible();
    for (const vp of ['axial', 'coronal', 'sagittal']) await expect(mark(f2.id, vp)).toHaveCount(0);
    await page.locator('.viewport-grid').screenshot({ path: join(screenshotDir, 'cad-04-mpr-marks.png') });
    await page.getByRole('button', { name: '1×1' }).click();

    // 6. Keep finding 1, reject the rest, export: the PDF lists finding 1 only, with single-nodule
    //    Fleischner advice and the image number the list shows, and is not a draft.
    const row1 = page.locator(`tr[data-finding-id="${f1.id}"]`);
    await row1.locator('td').first().click();
    await page.getByRole('button', { name: 'Accept' }).click();
    await expect(row1.getByTestId('finding-status')).toHaveText('accepted');
    // By id: the list is sorted by risk, and the risk follows the review (Brock's count term).
    for (const id of ids.slice(2)) {
      const row = page.locator(`tr[data-finding-id="${id}"]`);
      await row.locator('td').first().click();
      await page.getByRole('button', { name: 'Reject' }).click();
      await expect(row.getByTestId('finding-status')).toHaveText('rejected');
    }
    await expect(page.getByTestId('reviewed-badge')).toBeVisible();
    for (const id of ids.slice(1)) await expect(mark(id)).toHaveCount(0);
    const out = mkdtempSync(join(tmpdir(), 'pulmolens-e2e-reviewed-'));
    await page.getByLabel('Report folder').fill(out);
    await page.getByRole('button', { name: 'Export report' }).click();
    await expect(page.getByTestId('export-done')).toBeVisible({ timeout: 240_000 });
    const pdf = join(out, 'report.pdf');
    const text = execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' });
    expect(text).toContain(f1.id);
    for (const id of ids.slice(1)) expect(text, `rejected ${id} in the PDF`).not.toContain(id);
    expect(text).toContain(`${n - 1} CAD mark${n - 1 === 1 ? '' : 's'} rejected by the reader`);
    expect(text).toMatch(/Fleischner 2017, single /);
    expect(text).not.toMatch(/Fleischner 2017, multiple /);
    expect(text).not.toMatch(/DRAFT/);
    expect(text).toMatch(new RegExp(`${f1.id} \\(accepted\\): image ${ref.instanceNumber} `));
    execFileSync('pdftoppm', ['-png', '-r', '60', pdf, join(screenshotDir, 'cad-05-reviewed-report')]);
    expect(readdirSync(screenshotDir).some((f) => f.startsWith('cad-05-reviewed-report'))).toBe(true);
  });
});
