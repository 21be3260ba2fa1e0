/**
 * Getting studies in through the browser preview: the host's folder chooser, a drop of files
 * (a browser gives no paths: the host finds the folder holding them), and errors a person can act
 * on, each naming the path and the reason in the study browser.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { cacheDir, lidcStudy, missingData, repoRoot } from '../support/shared-data';
import { expect, test } from './fixtures';

const skipReason = missingData('ct/LIDC-IDRI-0001.tar.xz');
const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(repoRoot, 'artifacts', 'e2e-screens', `${name}.png`) });
const problems = (page: Page) => page.getByRole('alert', { name: 'Import problems' });

/** Drops File objects (names and sizes of real files; browsers never tell their path). */
async function dropFiles(page: Page, files: { name: string; size: number }[]): Promise<void> {
  const dt = await page.evaluateHandle((list) => {
    const t = new DataTransfer();
    for (const f of list) t.items.add(new File([new Uint8Array(f.size)], f.name));
    return t;
  }, files);
  await page.locator('.app').dispatchEvent('drop', { dataTransfer: dt });
}

test('a folder that does not exist is named with the reason', async ({ app: page }) => {
  await page.getByLabel('Folder path').fill('/definitely/not/a/folder');
  await page.getByRole('button', { name: 'Import' }).click();
  const p = problems(page);
  await expect(p).toContainText('Folder not found', { timeout: 30_000 });
  await expect(p).toContainText('/definitely/not/a/folder');
  await expect(p).toContainText('no such file or folder');
  await shot(page, '30-import-missing-folder');
});

test('a folder without DICOM images is named with what was found there', async ({ app: page }) => {
  const dir = join(cacheDir, 'e2e-no-dicom');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'notes.txt'), 'not an image');
  writeFileSync(join(dir, 'scan.pdf'), '%PDF-1.4 not an image either');
  await page.getByLabel('Folder path').fill(dir);
  await page.getByRole('button', { name: 'Import' }).click();
  const p = problems(page);
  await expect(p).toContainText('No DICOM images in this folder', { timeout: 30_000 });
  await expect(p).toContainText(dir);
  await expect(p).toContainText('2 file(s) looked at');
  await expect(p).toContainText('not a DICOM file');
  await shot(page, '31-import-no-dicom');
  rmSync(dir, { recursive: true, force: true });
});

test.describe('LIDC-IDRI-0001', () => {
  test.skip(skipReason !== null, skipReason ?? '');

  test('a series that does not decode is named in the study browser with the file and reason', async ({
    app: page,
  }) => {
    const src = lidcStudy('0001').seriesDir;
    const dir = join(cacheDir, 'e2e-undecodable');
    rmSync(dir, { recursive: true, force: true });
    const files = readdirSync(src)
      .sort()
      .slice(0, 3)
      .map((f) => join(src, f));
    const r = spawnSync(
      '/usr/bin/python3',
      [join(repoRoot, 'tests/support/make_undecodable.py'), dir, ...files],
      {
        encoding: 'utf8',
      },
    );
    expect(r.status, r.stderr).toBe(0);
    await page.getByLabel('Folder path').fill(dir);
    await page.getByRole('button', { name: 'Import' }).click();
    await expect(page.locator('[data-series-key]')).toContainText('3 slices', { timeout: 60_000 });
    await page.locator('[data-series-key]').click();
    const p = problems(page);
    await expect(p).toContainText('could not be opened', { timeout: 60_000 });
    await expect(p).toContainText(dir);
    await expect(p).toContainText('DICOM_DECODE_FAILED');
    await shot(page, '32-import-undecodable-series');
    rmSync(dir, { recursive: true, force: true });
  });

  test('the folder chooser served by the host imports a folder', async ({ app: page }) => {
    const series = lidcStudy('0001').seriesDir;
    await page.getByRole('button', { name: 'Browse…' }).click();
    const chooser = page.getByRole('dialog', { name: 'Choose a folder' });
    await expect(chooser).toBeVisible();
    // The host's root, then down the path to the series folder.
    const root = realpathSync(cacheDir);
    await chooser.getByRole('button', { name: root }).click();
    const parts = realpathSync(series)
      .slice(root.length + 1)
      .split('/');
    for (const part of parts) {
      await chooser
        .getByRole('button', { name: `📁 ${part}`, exact: true })
        .first()
        .click();
      await expect(page.getByTestId('folder-browser-path')).toHaveText(new RegExp(`/${part}$`));
    }
    await expect(chooser).toContainText('133 file(s) here');
    await shot(page, '33-folder-chooser');
    await chooser.getByRole('button', { name: 'Import this folder' }).click();
    await expect(page.locator('[data-series-key]')).toContainText('133 slices', { timeout: 90_000 });
  });

  test('dropping files onto the window imports the folder that holds them', async ({ app: page }) => {
    const series = lidcStudy('0001').seriesDir;
    const sample = readdirSync(series)
      .sort()
      .slice(10, 13)
      .map((name) => ({ name, size: statSync(join(series, name)).size }));
    await dropFiles(page, sample);
    await expect(page.locator('[data-series-key]')).toContainText('133 slices', { timeout: 90_000 });
    await shot(page, '34-drop-import');

    // Files the host cannot find under the folders it may read: said so, with the names.
    await dropFiles(page, [{ name: 'elsewhere.dcm', size: 1234 }]);
    const p = problems(page);
    await expect(p).toContainText('Dropped folder not found');
    await expect(p).toContainText('elsewhere.dcm');
    await expect(p).toContainText('Browse…');
  });
});
