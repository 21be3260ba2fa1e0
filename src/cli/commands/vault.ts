/**
 * `pulmolens vault init|import|list|export|delete|verify|gc|recover|passwd`: the encrypted vault from a terminal or
 * a script. Every command that unlocks writes the unlock and lock to the audit log, except
 * `verify`, which opens read-only and changes nothing.
 */
import type { Command } from 'commander';
import { scanDicomInputs } from '../../core/dicom';
import { PulmoLensError } from '../../common/errors';
import {
  createVault,
  newRecoveryCode,
  openVault,
  recoverVault,
  type ImportResult,
  type CatalogueStudy,
  type UnlockedVault,
  type VerifyReport,
} from '../../core/vault';
import { cliEnv } from '../config';
import { progressBar } from '../progress';
import { auditActor, READER_FLAGS, READER_HELP, type ReaderFlag } from '../reader';
import { registerVaultExportLabels } from './review-labels';
import {
  currentPassphrase,
  newVaultPassphrase,
  promptHidden,
  replacementPassphrase,
  vaultDir,
} from './vault-passphrase';

interface VaultFlag extends ReaderFlag {
  vault?: string;
}

/**
 * One-shot commands never idle-lock; they lock when done, also on error. `mustName`: the command,
 * when it refuses to run without a named reader (see ../reader.ts).
 */
async function withVault<T>(
  flag: VaultFlag,
  fn: (v: UnlockedVault) => Promise<T>,
  opts: { readOnly?: boolean; mustName?: string } = {},
): Promise<T> {
  const actor = auditActor(flag, opts.mustName ?? null);
  const v = await openVault(vaultDir(flag.vault), await currentPassphrase(), {
    idleLockMs: 0,
    readOnly: opts.readOnly === true,
    actor,
  });
  try {
    return await fn(v);
  } finally {
    await v.lock();
  }
}

function status(msg: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${msg}`);
}

function endStatus(): void {
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
}

export async function runVaultImport(
  v: UnlockedVault,
  paths: string[],
  signal?: AbortSignal,
): Promise<{ imported: ImportResult[]; skipped: Array<{ path: string; reason: string }> }> {
  const scan = await scanDicomInputs(paths, {
    ...(signal ? { signal } : {}),
    onProgress: (p) => status(progressBar('scanning', p.done, p.total)),
  });
  const imported: ImportResult[] = [];
  for (const s of scan.series) {
    imported.push(
      await v.importSeries(s, {
        ...(signal ? { signal } : {}),
        onProgress: (p) => status(progressBar('importing', p.done, p.total)),
      }),
    );
  }
  endStatus();
  if (scan.series.length === 0) {
    throw new PulmoLensError('DICOM_NO_IMAGE', `no CT series found in ${paths.join(', ')}`);
  }
  return { imported, skipped: scan.skipped.map(({ path, reason }) => ({ path, reason })) };
}

/** A stored result of a series, as `vault list --json` shows it (no content, only that it exists). */
interface StoredResult {
  objectId: string;
  storedAt: string;
}

/** Each study's series with the analyses and reviews stored for them (newest last). */
export function studiesWithResults(v: UnlockedVault) {
  return v.listStudies().map((s) => {
    const objects = v.listObjects({ studyRef: s.ref });
    const of = (seriesRef: string, kind: 'analysis' | 'review', suffix: string): StoredResult[] =>
      objects
        .filter((o) => o.seriesRef === seriesRef && o.kind === kind && o.name.endsWith(suffix))
        .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0))
        .map((o) => ({ objectId: o.id, storedAt: o.createdAt }));
    return {
      ...s,
      series: s.series.map((r) => ({
        ...r,
        analyses: of(r.ref, 'analysis', '/findings.json'),
        reviews: of(r.ref, 'review', '/review.json'),
      })),
    };
  });
}

function studyTable(studies: CatalogueStudy[]): string {
  if (studies.length === 0) return 'The vault holds no studies.';
  const lines: string[] = [];
  for (const s of studies) {
    lines.push(`Study ${s.ref}`);
    lines.push(`  patient   ${s.patientName || '(no name)'}  ID ${s.patientId || '(none)'}`);
    lines.push(`  date      ${s.studyDate || '(unknown)'}  ${s.studyDescription}`);
    lines.push(`  study UID ${s.studyInstanceUid}`);
    for (const r of s.series) {
      lines.push(
        `  series ${r.ref}  #${r.seriesNumber ?? '-'} ${r.modality} ${r.seriesDescription}  ${r.instances} files, ${(r.bytes / 1e6).toFixed(1)} MB`,
      );
      lines.push(`         UID ${r.seriesInstanceUid}`);
    }
    const extra = Object.entries(s.objects).filter(([k]) => k !== 'dicom');
    if (extra.length) lines.push(`  objects   ${extra.map(([k, n]) => `${k}: ${n}`).join(', ')}`);
    lines.push('');
  }
  return lines.join('\n');
}

function verifyText(r: VerifyReport): string {
  const lines = [
    `checked ${r.objectsChecked} objects, ${r.chunksChecked} chunks, ${(r.bytesChecked / 1e6).toFixed(1)} MB, ${r.auditEntries} audit entries`,
  ];
  for (const p of r.problems) lines.push(`PROBLEM ${p.code}: ${p.message}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  lines.push(r.ok ? 'vault OK' : `${r.problems.length} problem(s) found`);
  return lines.join('\n');
}

function gcText(r: { removed: number; reattached: number }): string {
  return `removed ${r.removed} object(s) whose study is gone; re-attached ${r.reattached} to their study`;
}

export function registerVault(program: Command): void {
  const vault = program
    .command('vault')
    .description('The encrypted on-device vault for studies, results and reports (see docs/vault.md).');
  const vaultOpt = '--vault <dir>';
  const vaultHelp = 'vault folder (default: $PULMOLENS_VAULT)';
  registerVaultExportLabels(vault);

  vault
    .command('init')
    .description('Create a new vault (passphrase from $PULMOLENS_PASSPHRASE or a prompt).')
    .option(vaultOpt, vaultHelp)
    .option(READER_FLAGS, READER_HELP)
    .action(async (opts: VaultFlag) => {
      const dir = vaultDir(opts.vault);
      const actor = auditActor(opts);
      const recoveryCode = newRecoveryCode();
      const v = await createVault(dir, await newVaultPassphrase(), { idleLockMs: 0, recoveryCode, actor });
      const id = v.vaultId;
      await v.lock();
      process.stdout.write(
        `created vault ${id} in ${dir}\n` +
          `recovery code (shown only now; write it down and keep it apart from the computer):\n` +
          `  ${recoveryCode}\n` +
          `Without the passphrase and this recovery code the data in the vault is gone for good.\n`,
      );
    });

  vault
    .command('import')
    .description('Copy every CT series under the paths into the vault (originals are left untouched).')
    .argument('<paths...>', 'DICOM files, folders or DICOMDIRs')
    .option(vaultOpt, vaultHelp)
    .option(READER_FLAGS, READER_HELP)
    .option('--json', 'print one JSON object')
    .action(async (paths: string[], opts: VaultFlag & { json?: boolean }) => {
      const ac = new AbortController();
      const onSig = () => ac.abort();
      process.once('SIGINT', onSig);
      process.once('SIGTERM', onSig);
      try {
        const out = await withVault(opts, (v) => runVaultImport(v, paths, ac.signal));
        if (opts.json) process.stdout.write(`${JSON.stringify(out)}\n`);
        else {
          for (const r of out.imported) {
            process.stdout.write(
              r.alreadyPresent
                ? `series ${r.seriesRef} of study ${r.studyRef} is already in the vault\n`
                : `imported series ${r.seriesRef} of study ${r.studyRef}: ${r.instances} files, ${(r.bytes / 1e6).toFixed(1)} MB\n`,
            );
          }
          if (out.skipped.length)
            process.stdout.write(`skipped ${out.skipped.length} file(s) that are not CT images\n`);
        }
      } finally {
        process.removeListener('SIGINT', onSig);
        process.removeListener('SIGTERM', onSig);
      }
    });

  vault
    .command('list')
    .description('List the studies and series in the vault (shows patient data: audit-logged unlock).')
    .option(vaultOpt, vaultHelp)
    .option(READER_FLAGS, READER_HELP)
    .option('--json', 'print one JSON array')
    .action(async (opts: VaultFlag & { json?: boolean }) => {
      const studies = await withVault(opts, async (v) => studiesWithResults(v));
      process.stdout.write(opts.json ? `${JSON.stringify(studies)}\n` : `${studyTable(studies)}\n`);
    });

  vault
    .command('export')
    .description('Write the decrypted DICOM files of a study or series to a folder you name (audit-logged).')
    .argument('<study-or-series>', 'vault ref from `vault list`, or a Study/SeriesInstanceUID')
    .requiredOption('--out <dir>', 'folder to write (refused if it holds files of the same names)')
    .option('--overwrite', 'replace files of the same names already in --out')
    .option(vaultOpt, vaultHelp)
    .option(READER_FLAGS, READER_HELP)
    .action(async (ref: string, opts: VaultFlag & { out: string; overwrite?: boolean }) => {
      const r = await withVault(opts, (v) =>
        v.exportSeries(ref, opts.out, { overwrite: opts.overwrite === true }),
      );
      process.stdout.write(`exported ${r.files} file(s) to ${r.outDir}\n`);
    });

  vault
    .command('verify')
    .description(
      'Check every object and the audit chain; reports problems and changes nothing (unless --fix).',
    )
    .option(vaultOpt, vaultHelp)
    .option(READER_FLAGS, READER_HELP)
    .option('--json', 'print the report as JSON')
    .option('--fix', 'first remove results whose study is gone (as `vault gc`), then check')
    .action(async (opts: VaultFlag & { json?: boolean; fix?: boolean }) => {
      const report = await withVault(
        opts,
        async (v) => {
          if (opts.fix) {
            const gc = await v.collectOrphans();
            process.stderr.write(`${gcText(gc)}\n`);
          }
          return v.verify({ onProgress: (p) => status(progressBar('verifying', p.done, p.total)) });
        },
        { readOnly: opts.fix !== true, ...(opts.fix ? { mustName: 'vault verify --fix' } : {}) },
      );
      endStatus();
      process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : `${verifyText(report)}\n`);
      if (!report.ok) {
        throw new PulmoLensError('VAULT_CORRUPT', `verify found ${report.problems.length} problem(s)`, {
          details: { problems: report.problems },
        });
      }
    });

  vault
    .command('delete')
    .description(
      'Delete a study with its series, analyses, reviews and reports from the vault (audit-logged).',
    )
    .argument('<study>', 'vault ref from `vault list`, a StudyInstanceUID, or a series of the study')
    .option(vaultOpt, vaultHelp)
    .option(READER_FLAGS, READER_HELP)
    .option('--json', 'print one JSON object')
    .action(async (ref: string, opts: VaultFlag & { json?: boolean }) => {
      const r = await withVault(opts, (v) => v.deleteStudy(ref), { mustName: 'vault delete' });
      process.stdout.write(
        opts.json ? `${JSON.stringify(r)}\n` : `deleted the study and its ${r.objects} encrypted object(s)\n`,
      );
    });

  vault
    .command('gc')
    .description(
      'Remove results (analyses, reviews, reports) whose study was deleted; re-attach those an older version stored without their study (audit-logged).',
    )
    .option(vaultOpt, vaultHelp)
    .option(READER_FLAGS, READER_HELP)
    .option('--json', 'print one JSON object')
    .action(async (opts: VaultFlag & { json?: boolean }) => {
      const gc = await withVault(opts, (v) => v.collectOrphans(), { mustName: 'vault gc' });
      process.stdout.write(opts.json ? `${JSON.stringify(gc)}\n` : `${gcText(gc)}\n`);
    });

  vault
    .command('recover')
    .description(
      'Set a new passphrase with the recovery code shown at init ($PULMOLENS_RECOVERY_CODE or a prompt; new passphrase from $PULMOLENS_NEW_PASSPHRASE or prompts).',
    )
    .option(vaultOpt, vaultHelp)
    .option(READER_FLAGS, READER_HELP)
    .action(async (opts: VaultFlag) => {
      const actor = auditActor(opts, 'vault recover');
      const envCode = cliEnv().recoveryCode;
      if (envCode === undefined && !process.stdin.isTTY) {
        throw new PulmoLensError(
          'INVALID_INPUT',
          'no terminal to ask for the recovery code: set PULMOLENS_RECOVERY_CODE',
        );
      }
      const code = envCode ?? (await promptHidden('Recovery code: '));
      const v = await recoverVault(vaultDir(opts.vault), code, await replacementPassphrase(), {
        idleLockMs: 0,
        actor,
      });
      await v.lock();
      process.stdout.write('passphrase set with the recovery code\n');
    });

  vault
    .command('passwd')
    .description('Change the passphrase ($PULMOLENS_PASSPHRASE / $PULMOLENS_NEW_PASSPHRASE or prompts).')
    .option(vaultOpt, vaultHelp)
    .option(READER_FLAGS, READER_HELP)
    .action(async (opts: VaultFlag) => {
      await withVault(opts, async (v) => v.changePassphrase(await replacementPassphrase()), {
        mustName: 'vault passwd',
      });
      process.stdout.write('passphrase changed\n');
    });
}
