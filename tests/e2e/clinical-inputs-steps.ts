/**
 * The clinical inputs on an analysed series (run by findings.spec.ts on its LIDC-IDRI-0001 analysis
 * with the shipped models, so the suite analyses that scan once): the image noise against what the
 * models were validated at; each input shown with its source; the reader corrects the age and the
 * emphysema input and the finding's risk changes at once; the LAA-950 suggestion is stated with
 * its cut-off and becomes the Brock input only when confirmed; after lock and unlock the stored
 * analysis shows the reader's inputs and the changed risk.
 */
import type { Page } from '@playwright/test';
import { E2E_READER, expect, settle, unlockVault } from './fixtures';

/** The Risk cell of the first finding row. */
const riskCell = (page: Page) => page.locator('tr[data-finding-id]').first().getByTestId('finding-risk');

async function openSeries(page: Page): Promise<void> {
  await page.locator('[data-series-key]').first().click({ timeout: 60_000 });
  await expect(page.locator('.viewport-grid[data-rendered="yes"]')).toBeVisible({ timeout: 120_000 });
  await settle(page);
}

/** Expects the series open with its analysis listed; leaves it open after a lock and unlock. */
export async function checkClinicalInputs(page: Page): Promise<void> {
  // The series' noise, measured by the analysis, against what the models were validated at.
  await expect(page.getByTestId('image-noise')).toHaveText(
    /^Image noise: SD [\d.]+ HU in soft tissue, [\d.]+ HU at nodule scale \(models validated up to [\d.]+ HU\)$/,
  );
  const panel = page.getByRole('region', { name: 'Clinical inputs' });
  await expect(riskCell(page)).toHaveText(/%$/);

  // Every input says where it came from; nothing is "entered" before the reader enters it.
  for (const field of ['ageYears', 'sex', 'familyHistory', 'emphysema', 'fleischnerRisk']) {
    await expect(panel.getByTestId(`clinical-source-${field}`)).toHaveText(
      /^(from DICOM|assumed \(unknown\))$/,
    );
  }
  const riskBefore = await riskCell(page).innerText();

  // The age: stored as entered by the reader, and the Brock risk follows at once.
  await panel.getByLabel('Age (years)').fill('84');
  await panel.getByRole('button', { name: 'Save clinical inputs' }).click();
  await expect(panel.getByTestId('clinical-source-ageYears')).toHaveText(`entered by ${E2E_READER.name}`);
  await expect(riskCell(page)).not.toHaveText(riskBefore);
  const riskOlder = await riskCell(page).innerText();
  expect(parseFloat(riskOlder)).toBeGreaterThan(parseFloat(riskBefore));

  // A bad age is refused in the panel and nothing is sent.
  await panel.getByLabel('Age (years)').fill('7');
  await expect(panel.getByRole('alert')).toHaveText(/whole years from 18 to 110/);
  await expect(panel.getByRole('button', { name: 'Save clinical inputs' })).toBeDisabled();
  await panel.getByLabel('Age (years)').fill('84');

  // LAA-950 is a suggestion, stated with its threshold; confirming it makes it the Brock input.
  await expect(panel.getByTestId('laa950')).toHaveText(
    /^LAA-950 = \d+\.\d % of lung voxels below \u2212950 HU; emphysema if \u2265 5 %$/,
  );
  const emphysema = panel.getByLabel('Emphysema');
  await expect(emphysema).not.toBeChecked(); // assumed absent until someone says otherwise
  const confirm = panel.getByRole('button', { name: /^Confirm suggestion: emphysema (yes|no)$/ });
  const suggested = (await confirm.innerText()).endsWith('yes');
  await confirm.click();
  await expect(panel.getByTestId('laa950-confirmed')).toHaveText(
    `Confirmed: emphysema ${suggested ? 'yes' : 'no'} (entered by ${E2E_READER.name})`,
  );
  await expect(panel.getByTestId('clinical-source-emphysema')).toHaveText(`entered by ${E2E_READER.name}`);
  await expect(emphysema).toBeChecked({ checked: suggested });
  if (suggested) await expect(riskCell(page)).not.toHaveText(riskOlder);
  else await expect(riskCell(page)).toHaveText(riskOlder);
  const riskConfirmed = await riskCell(page).innerText();

  // The reader overrules the suggestion by hand: the risk moves with the emphysema term.
  await emphysema.setChecked(!suggested);
  await panel.getByRole('button', { name: 'Save clinical inputs' }).click();
  await expect(panel.getByRole('button', { name: /^Confirm suggestion/ })).toBeVisible();
  await expect(riskCell(page)).not.toHaveText(riskConfirmed);
  const riskFinal = await riskCell(page).innerText();
  expect(parseFloat(riskFinal) > parseFloat(riskConfirmed)).toBe(!suggested);

  // Locked and unlocked: the stored analysis carries the reader's inputs and the same risk.
  await page.getByRole('button', { name: 'Lock' }).click();
  await expect(page.getByTestId('lock-screen')).toBeVisible();
  await unlockVault(page);
  await openSeries(page);
  await expect(panel.getByTestId('clinical-source-ageYears')).toHaveText(`entered by ${E2E_READER.name}`);
  await expect(panel.getByLabel('Age (years)')).toHaveValue('84');
  await expect(riskCell(page)).toHaveText(riskFinal);
  await expect(panel.getByLabel('Emphysema')).toBeChecked({ checked: !suggested });
}
