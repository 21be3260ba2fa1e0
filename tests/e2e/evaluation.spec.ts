/**
 * The Evaluation page on LIDC-IDRI-0001 and -0002 with the LUNA16 CSVs, scoring precomputed
 * findings (so no model runs): one hit on 0001's LUNA16 nodule, false positives on both scans.
 * Checks the FROC plot, the metrics (recall 1, 2 FP), the per-scan table, and that clicking a
 * false positive opens its series in the viewer centred on that spot.
 */
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lidcStudy, missingData, sharedDataDir } from '../support/shared-data';
import { expect, screenshotDir, test } from './fixtures';

const skipReason = missingData(
  'ct/LIDC-IDRI-0001.tar.xz',
  'ct/LIDC-IDRI-0002.tar.xz',
  'ct/luna16-annotations.csv',
  'ct/luna16-annotations-excluded.csv',
);

// SeriesInstanceUIDs as the LUNA16 CSVs list them.
const UID_0001 = '1.3.6.1.4.1.14519.5.2.1.6279.6001.179049373636438705059720603192';
const UID_0002 = '1.3.6.1.4.1.14519.5.2.1.6279.6001.619372068417051974713149104919';
const NODULE_0001: [number, number, number] = [56.2084, 86.3434, -115.8676];
const FP_0001: [number, number, number] = [-60, 40, -100];

const model = { name: 'hand-made', version: '1', sha256: '0'.repeat(64) };
function finding(id: string, centerLps: [number, number, number], probability: number) {
  return {
    id,
    centerLps,
    centerVoxel: [0, 0, 0],
    probability,
    diameterMm: 8,
    longAxisMm: 9,
    shortAxisMm: 7,
    volumeMm3: 268,
    meanHu: -50,
    type: 'solid',
    spiculated: false,
    malignancyRisk: 0.05,
    lungRads: '4A',
    fleischner: 'n/a',
  };
}

test.describe('evaluation page', () => {
  test.skip(skipReason !== null, skipReason ?? '');

  test('run on two LIDC scans with precomputed findings, FROC plot, metrics, open a false positive', async ({
    app: page,
  }) => {
    test.setTimeout(300_000);
    const work = mkdtempSync(join(tmpdir(), 'pulmolens-e2e-eval-'));
    const studies = join(work, 'studies');
    const findings = join(work, 'findings');
    // A cohort folder assembled from links, as researchers do.
    mkdirSync(studies);
    mkdirSync(findings);
    symlinkSync(lidcStudy('0001').seriesDir, join(studies, 'LIDC-IDRI-0001'));
    symlinkSync(lidcStudy('0002').seriesDir, join(studies, 'LIDC-IDRI-0002'));
    const doc = (uid: string, fs: ReturnType<typeof finding>[]) => ({
      seriesInstanceUid: uid,
      model,
      executionProvider: 'cpu',
      timingsMs: {},
      findings: fs,
    });
    writeFileSync(
      join(findings, `${UID_0001}.json`),
      JSON.stringify(doc(UID_0001, [finding('a1', NODULE_0001, 0.9), finding('a2', FP_0001, 0.7)])),
    );
    writeFileSync(
      join(findings, `${UID_0002}.json`),
      JSON.stringify(doc(UID_0002, [finding('b1', [0, 0, -150], 0.8)])),
    );

    await page.getByRole('tab', { name: 'Evaluation' }).click();
    await page.getByLabel('Studies folder').fill(studies);
    // The CSVs are picked (a file chooser), not typed: their text travels over IPC.
    await page
      .getByLabel('Annotation CSV')
      .setInputFiles(join(sharedDataDir, 'ct', 'luna16-annotations.csv'));
    await page
      .getByLabel('Excluded CSV (optional)')
      .setInputFiles(join(sharedDataDir, 'ct', 'luna16-annotations-excluded.csv'));
    await page.getByLabel('Precomputed findings folder (optional)').fill(findings);
    await page.getByLabel("Threshold (optional; default: the model's operating point)").fill('0.5');
    await page.getByLabel('Results folder').fill(join(work, 'results'));
    await page.getByRole('button', { name: 'Run evaluation' }).click();

    const plot = page.getByTestId('froc-plot');
    await expect(plot).toBeVisible({ timeout: 240_000 });
    await expect(plot.locator('circle[data-froc-point]')).toHaveCount(7);
    const metrics = page.getByRole('table', { name: 'Metrics' });
    await expect(metrics.getByRole('row', { name: /^Scans 2$/ })).toBeVisible();
    await expect(metrics.getByRole('row', { name: /^Nodules 1$/ })).toBeVisible();
    await expect(page.getByTestId('recall')).toHaveText('1.000');
    // Two false positives over two scans at threshold 0.5 (b1 at 0.8, a2 at 0.7).
    await expect(metrics.getByRole('row', { name: /^FP\/scan 1\.000$/ })).toBeVisible();
    // The results are in the folder the researcher chose.
    expect(existsSync(join(work, 'results', 'metrics.json'))).toBe(true);
    const perScan = page.getByRole('table', { name: 'Per-scan results' });
    await expect(perScan.locator(`tr[data-series-uid="${UID_0001}"]`)).toContainText(/1\s*1\s*0/);
    await expect(perScan.locator(`tr[data-series-uid="${UID_0002}"]`)).toContainText(/0\s*1\s*0/);
    await page.screenshot({ path: join(screenshotDir, 'eval-01-results.png'), fullPage: true });

    // Click the false positive on 0001: the viewer opens that series centred on the spot.
    const spot = page.locator('tr[data-spot-kind="false positive"]', { hasText: 'a2' });
    await expect(spot).toBeVisible();
    await spot.locator('td').first().click();
    await expect(page.locator('.viewport-grid[data-rendered="yes"]')).toBeVisible({ timeout: 120_000 });
    await expect(page.getByTestId('slice-axial')).toContainText('/133');
    // The axial view shows the slice of the spot, and the spot is at the viewport centre.
    await expect
      .poll(
        () =>
          page.evaluate((w) => {
            const hook = window.__pulmolens as unknown as {
              engine: { viewport(id: string): { getCamera(): { focalPoint: number[] } } | null };
            };
            const f = hook?.engine.viewport('axial')?.getCamera().focalPoint;
            return f ? Math.hypot(f[0]! - w[0], f[1]! - w[1]) : null;
          }, FP_0001),
        { timeout: 30_000 },
      )
      .toBeLessThan(2);
    const k = await page.evaluate(() => window.__pulmolens!.sliceIndex('axial'));
    const geometry = await page.evaluate(
      () => window.__pulmolens!.geometry as unknown as { originLps: number[]; spacingMm: number[] },
    );
    // LIDC-IDRI-0001 is axial, head-first: slice k lies at originZ + k * spacingZ (either sign).
    const z = geometry.originLps[2]!;
    expect(
      Math.min(
        Math.abs(z + k * geometry.spacingMm[2]! - FP_0001[2]),
        Math.abs(z - k * geometry.spacingMm[2]! - FP_0001[2]),
      ),
    ).toBeLessThan(geometry.spacingMm[2]! + 0.01);
    await page.screenshot({ path: join(screenshotDir, 'eval-02-opened-fp.png') });
  });
});
