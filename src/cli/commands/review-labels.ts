/**
 * The site's reviews as ground truth from the command line (issue 13):
 * `pulmolens eval --vault DIR --reviews --out OUT` scores the model on the vault's reviewed series,
 * and `pulmolens vault export-labels --out DIR` writes the labels as LUNA16 CSVs (world mm) plus
 * every per-finding decision, optionally under de-identified series UIDs; the export is audit-logged.
 * The work itself is src/core/eval/review-eval (shared with the Evaluation page).
 */
import type { Command } from 'commander';
import {
  evaluateReviews,
  exportReviewLabels,
  type Evaluation,
  type ExportLabelsOptions,
  type ReviewEvalOptions,
} from '../../core/eval';
import { openVault, type UnlockedVault } from '../../core/vault';
import { auditActor, READER_FLAGS, READER_HELP } from '../reader';
import { currentPassphrase, vaultDir } from './vault-passphrase';

async function withVault<T>(
  dir: string,
  readOnly: boolean,
  fn: (v: UnlockedVault) => Promise<T>,
  reader: { reader?: string } = {},
): Promise<T> {
  const v = await openVault(dir, await currentPassphrase(), {
    idleLockMs: 0,
    readOnly,
    ...(readOnly ? {} : { actor: auditActor(reader) }),
  });
  try {
    return await fn(v);
  } finally {
    await v.lock();
  }
}

/** `eval --vault DIR --reviews`: the same metrics, with the readers' decisions as the reference. */
export async function runReviewEval(o: ReviewEvalOptions & { vault?: string }): Promise<Evaluation> {
  return withVault(vaultDir(o.vault), true, async (v) => {
    const r = await evaluateReviews(v, o);
    if (r.reviewsWithoutAnalysis > 0) {
      process.stderr.write(
        `${r.reviewsWithoutAnalysis} review(s) have no stored analysis and were not scored\n`,
      );
    }
    process.stderr.write(`${r.summary}\n`);
    return r.evaluation;
  });
}

export function registerVaultExportLabels(vault: Command): void {
  vault
    .command('export-labels')
    .description(
      "Write the site's review decisions as labels: annotations.csv (LUNA16 form, world mm: accepted, edited and " +
        'hand-added nodules), annotations_excluded.csv (undecided findings), decisions.csv (every finding). Audit-logged.',
    )
    .option('--vault <dir>', 'vault folder (default: $PULMOLENS_VAULT)')
    .option(READER_FLAGS, READER_HELP)
    .requiredOption('--out <dir>', 'folder for the CSVs')
    .option('--deidentify-uids', "replace series UIDs by de-identified ones (deidentify's 2.25 UID mapping)")
    .option('--overwrite', 'replace files of the same names in --out')
    .action(async (o: ExportLabelsOptions & { vault?: string; reader?: string }) => {
      const r = await withVault(vaultDir(o.vault), false, (v) => exportReviewLabels(v, o), o);
      process.stdout.write(
        `wrote ${r.labels} label(s) of ${r.series} reviewed series: ${r.files.join(', ')}\n`,
      );
    });
}
