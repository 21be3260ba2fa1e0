/**
 * The vault in the app: the lock screen comes first, a wrong passphrase keeps it locked, an
 * imported study lives only in the vault (no plaintext in the vault folder or the host's temp
 * folder), and locking (Ctrl+L) clears the renderer until the study is opened again from the vault.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lidcStudy, missingData } from '../support/shared-data';
import {
  E2E_PASSPHRASE,
  E2E_READER,
  e2eVault,
  expect,
  hostInvoke,
  screenStats,
  test,
  settle,
  unlockVault,
  type HostInfo,
} from './fixtures';

const skipReason = missingData('ct/LIDC-IDRI-0001.tar.xz');

interface Status {
  exists: boolean;
  unlocked: boolean;
}
interface Studies {
  studies: {
    ref: string;
    patientName: string;
    patientId: string;
    series: { key: string; metadata: { seriesInstanceUid: string } }[];
  }[];
}

/** The host's vault exists (another spec may have created it already) and is locked. */
async function lockedVault(host: HostInfo): Promise<void> {
  const s = await hostInvoke<Status>(host, 'vault.status');
  if (!s.exists) {
    const created = await hostInvoke<{ recoveryCode: string }>(host, 'vault.create', {
      passphrase: E2E_PASSPHRASE,
      confirm: E2E_PASSPHRASE,
      reader: E2E_READER,
    });
    e2eVault.recoveryCode = created.recoveryCode;
  }
  await hostInvoke(host, 'vault.lock');
}

function filesUnder(dir: string, out: string[] = []): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) filesUnder(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Every file holding one of the needles, or a DICOM preamble (`DICM` at offset 128). */
function plaintextHits(dirs: string[], needles: Record<string, string>): string[] {
  const hits: string[] = [];
  const files = [...new Set(dirs.flatMap((d) => filesUnder(d)))];
  for (const f of files) {
    if (statSync(f).size > 512 * 1024 * 1024) continue;
    const buf = readFileSync(f);
    if (buf.length >= 132 && buf.subarray(128, 132).toString('latin1') === 'DICM')
      hits.push(`${f}: DICM preamble`);
    for (const [name, value] of Object.entries(needles)) {
      if (value && buf.includes(Buffer.from(value, 'utf8'))) hits.push(`${f}: ${name}`);
    }
  }
  return hits;
}

test('the app opens on the lock screen; a wrong passphrase is refused and it stays locked', async ({
  page,
  host,
}) => {
  await lockedVault(host);
  await page.goto(host.url);
  const lock = page.getByTestId('lock-screen');
  await expect(lock).toBeVisible({ timeout: 30_000 });
  // Nothing of the workspace exists behind it.
  await expect(page.getByLabel('Folder path')).toHaveCount(0);
  await expect(page.locator('[data-series-key]')).toHaveCount(0);

  await page.getByLabel('Passphrase', { exact: true }).fill('not the passphrase at all');
  await page.getByLabel('Your name').fill(E2E_READER.name);
  await page.getByRole('button', { name: 'Unlock', exact: true }).click();
  await expect(page.getByRole('alert')).toContainText('Wrong passphrase', { timeout: 30_000 });
  await expect(lock).toBeVisible();
  await expect(page.getByTestId('vault-bar')).toHaveCount(0);
  expect((await hostInvoke<Status>(host, 'vault.status')).unlocked).toBe(false);

  // The right one unlocks; the lock button locks again.
  await unlockVault(page);
  await expect(page.getByLabel('Folder path')).toBeVisible();
  await page.getByRole('button', { name: 'Lock' }).click();
  // The renderer clears itself before the main process has finished locking.
  await expect(lock).toBeVisible();
  await expect.poll(async () => (await hostInvoke<Status>(host, 'vault.status')).unlocked).toBe(false);
});

test.describe('LIDC-IDRI-0001 in the vault', () => {
  test.skip(skipReason !== null, skipReason ?? '');

  test('import, no plaintext on disk, Ctrl+L clears the renderer, unlock reopens from the vault', async ({
    app: page,
    host,
  }) => {
    const study = lidcStudy('0001');
    await page.getByLabel('Folder path').fill(study.root);
    await page.getByRole('button', { name: 'Import' }).click();
    const series = page.locator('[data-series-key]');
    await expect(series).toHaveCount(1, { timeout: 120_000 });
    await expect(series).toContainText('133 slices');

    // The study browser lists what the vault holds.
    const listed = await page.evaluate(() => window.api.invoke('vault.studies', {}));
    expect(listed.ok).toBe(true);
    const stored = (listed as { ok: true; value: Studies }).value.studies;
    expect(stored).toHaveLength(1);
    const st = stored[0]!;
    const seriesUid = st.series[0]!.metadata.seriesInstanceUid;
    expect(st.patientId).toBe('LIDC-IDRI-0001');
    expect(seriesUid.length).toBeGreaterThan(10);
    const shownName = st.patientName || st.patientId;
    await expect(page.locator('.patient')).toHaveText(shownName);

    // Open it: decoded from the vault's objects.
    await series.click();
    await expect(page.locator('.viewport-grid[data-rendered="yes"]')).toBeVisible({ timeout: 60_000 });
    await settle(page);
    const before = await screenStats(page.locator('[data-viewport-id="axial"]'));
    expect(before.std).toBeGreaterThan(40);

    // No plaintext anywhere the host writes: the vault folder and the host's own temp folder.
    const needles = { PatientID: st.patientId, PatientName: st.patientName, SeriesInstanceUID: seriesUid };
    // The scan finds all of these in the original files (so it can fail), and none in ours.
    expect(plaintextHits([study.seriesDir], needles).length).toBeGreaterThan(133);
    const hits = plaintextHits([host.vaultDir, host.tmpDir], needles);
    expect(filesUnder(host.vaultDir).length).toBeGreaterThan(133);
    expect(hits).toEqual([]);

    // Lock with the hotkey: back to the lock screen, nothing of the study left in the page.
    await page.locator('[data-viewport-id="axial"]').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Control+l');
    await expect(page.getByTestId('lock-screen')).toBeVisible({ timeout: 30_000 });
    await expect.poll(async () => (await hostInvoke<Status>(host, 'vault.status')).unlocked).toBe(false);
    const html = await page.content();
    expect(html).not.toContain(st.patientId);
    if (st.patientName) expect(html).not.toContain(st.patientName);
    expect(html).not.toContain(seriesUid);
    expect(await page.evaluate(() => window.__pulmolens === undefined)).toBe(true);
    // The main process refuses data calls while locked.
    const refused = await page.evaluate(() => window.api.invoke('vault.studies', {}));
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.error.code).toBe('VAULT_LOCKED');
    const px = await page.evaluate(
      (key) => window.api.invoke('dicom.volumePixels', { key }).then((r) => r.ok),
      st.series[0]!.key,
    );
    expect(px, 'decoded volumes are dropped in the main process too').toBe(false);

    // Unlock: the study is listed again from the vault and opens.
    await unlockVault(page);
    await expect(series).toHaveCount(1, { timeout: 60_000 });
    await expect(series).toContainText('133 slices');
    await series.click();
    await expect(page.locator('.viewport-grid[data-rendered="yes"]')).toBeVisible({ timeout: 60_000 });
    await settle(page);
    const after = await screenStats(page.locator('[data-viewport-id="axial"]'));
    expect(after.std).toBeGreaterThan(40);

    // The audit trail recorded it all.
    const audit = await page.evaluate(() => window.api.invoke('vault.audit', { limit: 100 }));
    expect(audit.ok).toBe(true);
    const events = (audit as { ok: true; value: { entries: { event: string }[] } }).value.entries.map(
      (e) => e.event,
    );
    for (const e of ['study-imported', 'study-opened', 'vault-locked', 'vault-unlocked']) {
      expect(events).toContain(e);
    }

    // The vault panel: export the study (decrypted DICOM, audit-logged), then delete it.
    const out = mkdtempSync(join(tmpdir(), 'pulmolens-e2e-export-'));
    try {
      await page.locator('.vault-panel > summary').click();
      const row = page.locator(`[data-vault-study="${st.ref}"]`);
      await expect(row).toBeVisible();
      await page.getByLabel('Export folder').fill(join(out, 'study'));
      await row.getByRole('button', { name: 'Export' }).click();
      await expect(page.getByRole('status')).toContainText('Exported 133 decrypted files', {
        timeout: 60_000,
      });
      const folders = readdirSync(join(out, 'study'));
      expect(folders).toHaveLength(1);
      expect(readdirSync(join(out, 'study', folders[0]!)).length).toBe(133);
      await expect(page.locator('.vault-audit')).toContainText('study-exported');
      await row.getByRole('button', { name: 'Delete…' }).click();
      await row.getByRole('button', { name: 'Confirm delete' }).click();
      await expect(page.getByText('The vault holds no study.')).toBeVisible();
      await expect(series).toHaveCount(0);
      await expect(page.locator('.vault-audit')).toContainText('study-deleted');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

test('a lock from the main process (idle timer) reaches the renderer and clears it', async ({
  app: page,
  host,
}) => {
  await expect(page.getByLabel('Folder path')).toBeVisible();
  // What the idle timer does, without waiting for it: the main process locks on its own.
  await hostInvoke(host, 'vault.lock');
  await expect(page.getByTestId('lock-screen')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByLabel('Folder path')).toHaveCount(0);
  await unlockVault(page);
  await expect(page.getByLabel('Folder path')).toBeVisible();
});

test('the lock screen sets a new passphrase with the recovery code; a wrong code is refused; audit names the reader', async ({
  page,
  host,
}) => {
  await lockedVault(host);
  test.skip(
    e2eVault.recoveryCode === null,
    'this worker did not create the vault, so it never saw its recovery code',
  );
  await page.goto(host.url);
  await page.getByRole('button', { name: 'Forgot the passphrase? Use the recovery code' }).click();
  const fill = async (code: string) => {
    await page.getByLabel('Recovery code').fill(code);
    // The same passphrase again, so the other tests of this worker still unlock.
    await page.getByLabel('New passphrase', { exact: true }).fill(E2E_PASSPHRASE);
    await page.getByLabel('Confirm new passphrase').fill(E2E_PASSPHRASE);
    await page.getByLabel('Your name').fill('Dr Recovery');
    await page.getByLabel('Staff ID (optional)').fill('R-42');
    await page.getByRole('button', { name: 'Set new passphrase and unlock' }).click();
  };
  const wrong = e2eVault.recoveryCode!.startsWith('A')
    ? `B${e2eVault.recoveryCode!.slice(1)}`
    : `A${e2eVault.recoveryCode!.slice(1)}`;
  await fill(wrong);
  await expect(page.getByRole('alert')).toContainText('wrong recovery code', { timeout: 30_000 });
  expect((await hostInvoke<Status>(host, 'vault.status')).unlocked).toBe(false);
  await fill(e2eVault.recoveryCode!.toLowerCase());
  await expect(page.getByTestId('vault-bar')).toBeVisible({ timeout: 60_000 });
  const { entries } = await hostInvoke<{
    entries: { event: string; user: string; details?: { via?: string } }[];
  }>(host, 'vault.audit');
  expect(entries.at(-1)).toMatchObject({ event: 'passphrase-changed', user: 'Dr Recovery (R-42)' });
  expect(entries.at(-2)).toMatchObject({
    event: 'vault-unlocked',
    user: 'Dr Recovery (R-42)',
    details: { via: 'recovery-code' },
  });
  await hostInvoke(host, 'vault.lock');
});
