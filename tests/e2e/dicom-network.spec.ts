/**
 * The "DICOM network" settings screen in Chromium against the test host: an invalid port and an
 * over-long AE title are named next to their fields, a valid configuration starts the Storage SCP
 * (dcmtk's echoscu gets an answer at the new port and AE title), a port another program holds is
 * refused there while the running listener stays, and "Verify (C-ECHO)" echoes a real storescp.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, screenshotDir, test } from './fixtures';
import { freePort, startStorescp } from '../support/dcmtk-peers';

const skipReason = spawnSync('storescp', ['--version']).status === 0 ? null : 'dcmtk is not installed';

const storescp = (port: number, dir: string): Promise<ChildProcess> => startStorescp(port, dir);

const echoscu = (aec: string, port: number) =>
  spawnSync('echoscu', ['-to', '5', '-aet', 'TESTSCU', '-aec', aec, '127.0.0.1', String(port)]).status;

test.describe('DICOM network settings', () => {
  test.skip(skipReason !== null, skipReason ?? '');

  test('shows field errors, applies a valid configuration live, and verifies a destination', async ({
    app: page,
  }) => {
    const inbox = mkdtempSync(join(tmpdir(), 'pulmolens-e2e-echo-'));
    const [port, pacsPort] = [await freePort(), await freePort()];
    const pacs = await storescp(pacsPort, inbox);
    let squatter: Server | null = null;
    try {
      await page.getByRole('button', { name: 'DICOM network' }).click();
      const dialog = page.getByRole('dialog', { name: 'DICOM network settings' });
      const state = dialog.getByTestId('scp-state');
      await expect(state).toHaveText('Storage SCP: off');

      // Invalid input: named next to the field, nothing saved.
      await dialog.getByLabel('Receive studies from the PACS or scanner').check();
      await dialog.getByLabel('Listening port').fill('70000');
      await dialog.getByLabel('Our AE title').fill('A_TITLE_OF_17_CHR');
      await dialog.getByRole('button', { name: 'Save and apply' }).click();
      await expect(dialog.locator('[data-field="port"]')).toHaveText('port 70000 is not between 1 and 65535');
      await expect(dialog.locator('[data-field="aeTitle"]')).toHaveText(
        'AE title "A_TITLE_OF_17_CHR" is longer than 16 characters',
      );
      await expect(state).toHaveText('Storage SCP: off');

      // A valid configuration: the SCP listens at once, and a real peer gets an answer there.
      await dialog.getByLabel('Listening port').fill(String(port));
      await dialog.getByLabel('Our AE title').fill('PLE2E');
      await dialog.getByRole('button', { name: 'Add allowed peer' }).click();
      await dialog.getByLabel('Allowed AE title 1').fill('TESTSCU');
      await dialog.getByLabel('Allowed host address 1').fill('127.0.0.1');
      await dialog.getByRole('button', { name: 'Save and apply' }).click();
      await expect(state).toHaveText(`Storage SCP: listening on 127.0.0.1:${port} as PLE2E`);
      await expect(dialog.locator('[data-field]')).toHaveCount(0);
      expect(echoscu('PLE2E', port)).toBe(0);

      // A port another program holds: refused on the port field; the listener keeps running.
      squatter = createServer();
      await new Promise<void>((r) => squatter!.listen(0, '127.0.0.1', r));
      const taken = (squatter.address() as { port: number }).port;
      await dialog.getByLabel('Listening port').fill(String(taken));
      await dialog.getByRole('button', { name: 'Save and apply' }).click();
      await expect(dialog.locator('[data-field="port"]')).toContainText(`port ${taken} is already in use`);
      await expect(state).toHaveText(`Storage SCP: listening on 127.0.0.1:${port} as PLE2E`);
      expect(echoscu('PLE2E', port)).toBe(0);

      // Verify (C-ECHO) against a real storescp, before saving the destination.
      await dialog.getByLabel('Destination AE title').fill('ARCHIVE');
      await dialog.getByLabel('Destination host address').fill('127.0.0.1');
      await dialog.getByLabel('Destination port').fill(String(pacsPort));
      await dialog.getByRole('button', { name: 'Verify (C-ECHO)' }).click();
      await expect(dialog.getByTestId('verify-result')).toHaveText(
        new RegExp(`^ARCHIVE@127\\.0\\.0\\.1:${pacsPort} answered the C-ECHO in \\d+ ms\\.$`),
      );

      await dialog.screenshot({ path: join(screenshotDir, 'dicom-network-settings.png') });

      // Off again (the worker's next tests start from the default).
      await dialog.getByLabel('Listening port').fill(String(port));
      await dialog.getByLabel('Receive studies from the PACS or scanner').uncheck();
      await dialog.getByRole('button', { name: 'Save and apply' }).click();
      await expect(state).toHaveText('Storage SCP: off');
      await expect(dialog.getByTestId('send-queue')).toContainText('No sends queued.');
    } finally {
      await new Promise<void>((r) => (squatter ? squatter.close(() => r()) : r()));
      pacs.kill('SIGTERM');
      rmSync(inbox, { recursive: true, force: true });
    }
  });
});
