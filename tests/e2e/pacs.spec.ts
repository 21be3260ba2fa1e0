/**
 * "Send to PACS" in the workspace, in Chromium against the test host: LIDC-IDRI-0001 analysed with
 * the small test models, every listed finding accepted, the destination entered in the findings
 * panel, and dcmtk's storescp receives the SR, the parametric map and the Encapsulated PDF. A
 * destination where nobody listens gives an error a person can act on and a retry button.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lidcStudy, missingData } from '../support/shared-data';
import { ensureTestModels } from '../support/test-models';
import { expect, test } from './fixtures';
import { freePort, startStorescp } from '../support/dcmtk-peers';

const models = ensureTestModels();
const noDcmtk =
  spawnSync('storescp', ['--version']).status === 0 ? null : 'dcmtk (storescp) is not installed';
const skipReason =
  missingData('ct/LIDC-IDRI-0001.tar.xz') ?? noDcmtk ?? ('skip' in models ? models.skip : null);
test.use({ modelsDir: 'dir' in models ? models.dir : undefined });

const storescp = (port: number, dir: string): Promise<ChildProcess> => startStorescp(port, dir);

test.describe('Send to PACS from the workspace', () => {
  test.skip(skipReason !== null, skipReason ?? '');

  test('sends the reviewed analysis to storescp; an unreachable PACS says so', async ({ app: page }) => {
    test.setTimeout(900_000);
    const inbox = mkdtempSync(join(tmpdir(), 'pulmolens-e2e-pacs-'));
    const port = await freePort();
    const pacs = await storescp(port, inbox);
    let late: ChildProcess | null = null;
    try {
      await page.getByLabel('Folder path').fill(lidcStudy('0001').root);
      await page.getByRole('button', { name: 'Import' }).click();
      const series = page.locator('[data-series-key]');
      await expect(series).toHaveCount(1, { timeout: 120_000 });
      await series.click();
      await expect(page.locator('.viewport-grid[data-rendered="yes"]')).toBeVisible({ timeout: 120_000 });
      await page.getByRole('button', { name: /^Analyse/ }).click();
      await expect(page.getByTestId('model-line')).toBeVisible({ timeout: 600_000 });

      // Before review the send is not offered; the reader accepts every listed finding.
      const rows = page.locator('tr[data-finding-id]');
      const n = await rows.count();
      test.info().annotations.push({ type: 'findings', description: `${n} listed finding(s) accepted` });
      const panel = page.getByLabel('Send to PACS');
      await page.getByLabel('PACS AE title').fill('ARCHIVE');
      await page.getByLabel('PACS host address').fill('127.0.0.1');
      await page.getByLabel('PACS port').fill(String(port));
      await page.getByRole('button', { name: 'Save destination' }).click();
      await expect(page.getByTestId('pacs-destination')).toHaveText(`ARCHIVE@127.0.0.1:${port}`);
      const send = page.getByRole('button', { name: 'Send to PACS' });
      if (n > 0) await expect(send).toBeDisabled();
      for (let i = 0; i < n; i++) {
        await rows.nth(i).locator('td').first().click();
        const accept = page.getByRole('button', { name: 'Accept' });
        await accept.click();
        await expect(accept).toHaveAttribute('aria-pressed', 'true');
        await expect(rows.nth(i)).toHaveAttribute('data-save', 'stored');
      }
      await expect(send).toBeEnabled();
      await send.click();
      await expect(page.getByTestId('pacs-sent')).toHaveText(
        `Sent 3 object(s) (SR, parametric map, PDF) to ARCHIVE@127.0.0.1:${port}.`,
        { timeout: 120_000 },
      );
      const files = readdirSync(inbox).map((f) => join(inbox, f));
      expect(files).toHaveLength(3);
      const dumps = files.map((f) => spawnSync('dcmdump', [f], { encoding: 'utf8' }).stdout).join('\n');
      expect(dumps).toMatch(/=Comprehensive3DSRStorage/);
      expect(dumps).toMatch(/=EncapsulatedPDFStorage/);

      // Nobody listening: the error names what happened and offers the queue's retry.
      const closed = await freePort();
      await panel.getByRole('button', { name: 'change' }).click();
      await page.getByLabel('PACS AE title').fill('ARCHIVE');
      await page.getByLabel('PACS host address').fill('127.0.0.1');
      await page.getByLabel('PACS port').fill(String(closed));
      await page.getByRole('button', { name: 'Save destination' }).click();
      await send.click();
      const error = page.getByTestId('pacs-error');
      await expect(error).toContainText('Cannot connect to the PACS', { timeout: 120_000 });
      await expect(error).toContainText('queued in the vault');
      await expect(error.getByRole('button', { name: 'Retry queued sends' })).toBeVisible();
      await expect(panel.getByTestId('pacs-queue')).toContainText('1 send(s) queued; next automatic try at');

      // The PACS comes up: the button delivers the queue (an empty queue for the tests after this).
      late = await storescp(closed, inbox);
      await error.getByRole('button', { name: 'Retry queued sends' }).click();
      await expect(panel.getByText('Delivered 1 queued send(s).')).toBeVisible({ timeout: 60_000 });
      await expect(panel.getByTestId('pacs-queue')).toHaveCount(0);
    } finally {
      late?.kill('SIGTERM');
      pacs.kill('SIGTERM');
      rmSync(inbox, { recursive: true, force: true });
    }
  });
});
