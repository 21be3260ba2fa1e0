/**
 * The vault's part of the IPC contract (spread into src/shared/ipc-contract.ts): lock screen,
 * session and the vault's catalogue. Kept in its own file so the vault channels can change
 * without touching the lines other features edit.
 */
import { z } from 'zod';
import type { SkippedFile } from '../common/dicom';
import { optionalTaskId, pathSchema } from './fields';
import type { ScannedSeriesSummary } from './series';

export const MIN_PASSPHRASE_LENGTH = 12;
const MAX_PASSPHRASE_LENGTH = 1024;

/** Passphrases that meet the length rule but are guessed first by any attacker. */
const COMMON = [
  'password',
  'passphrase',
  'qwerty',
  'letmein',
  'welcome',
  'admin',
  'iloveyou',
  'pulmolens',
  'changeme',
  '123456',
  'abcdef',
];

/**
 * Why a new passphrase is refused, or null when it is acceptable. Shared so the lock screen can
 * say it before the round trip; the main process checks again (the renderer is not trusted).
 */
export function passphraseProblem(p: string): string | null {
  const chars = [...p];
  if (chars.length < MIN_PASSPHRASE_LENGTH)
    return `use at least ${MIN_PASSPHRASE_LENGTH} characters (${chars.length} given)`;
  if (new Set(chars.map((c) => c.toLowerCase())).size < 5) return 'use more different characters';
  const squashed = p.toLowerCase().replace(/[^a-z0-9]/g, '');
  const stripped = COMMON.reduce((s, w) => s.split(w).join(''), squashed).replace(/(.)\1+/g, '$1');
  if (stripped.length < 6) return 'too easy to guess: avoid common words, repeats and number runs';
  if (/^(0123456789|1234567890|abcdefghijklmnopqrstuvwxyz)+/.test(squashed) && stripped.length < 10)
    return 'too easy to guess: avoid runs of letters or digits';
  return null;
}

const passphrase = z.string().min(1, 'enter the passphrase').max(MAX_PASSPHRASE_LENGTH);
const taskId = optionalTaskId;
const ref = z.string().min(1).max(256);
const absolutePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), 'must be an absolute path');

/** A new passphrase and its confirmation (create, recover): the strength rule, then the match. */
function newPassphraseIssues(r: { passphrase: string; confirm: string }, ctx: z.RefinementCtx): void {
  const problem = passphraseProblem(r.passphrase);
  if (problem) ctx.addIssue({ code: 'custom', path: ['passphrase'], message: problem });
  else if (r.confirm !== r.passphrase)
    ctx.addIssue({ code: 'custom', path: ['confirm'], message: 'the two passphrases differ' });
}

/** Who is reading: entered at the lock screen; reviews, reports and audit entries carry it. */
const reader = z
  .object({
    name: z.string().trim().min(1, 'enter your name').max(100),
    id: z.string().trim().max(64).optional(),
  })
  .strict();

export const vaultRequestSchemas = {
  /** Whether a vault exists and is unlocked, and what the OS keychain offers. */
  'vault.status': z.object({}).strict(),
  /** Creates the vault (refused when one exists) and unlocks it. */
  'vault.create': z
    .object({
      passphrase: z.string().max(MAX_PASSPHRASE_LENGTH),
      confirm: z.string().max(MAX_PASSPHRASE_LENGTH),
      reader,
    })
    .strict()
    .superRefine(newPassphraseIssues),
  /** Wrong passphrase: VAULT_WRONG_PASSPHRASE, nothing changed. */
  'vault.unlock': z.object({ passphrase, reader }).strict(),
  /** Unlock with the data key wrapped by the OS keychain (see docs/vault.md). */
  'vault.unlockWithKeychain': z.object({ reader }).strict(),
  /** New passphrase with the recovery code shown at creation; wrong code: VAULT_WRONG_RECOVERY_CODE. */
  'vault.recover': z
    .object({
      recoveryCode: z.string().min(1, 'enter the recovery code').max(64),
      passphrase: z.string().max(MAX_PASSPHRASE_LENGTH),
      confirm: z.string().max(MAX_PASSPHRASE_LENGTH),
      reader,
    })
    .strict()
    .superRefine(newPassphraseIssues),
  /** Wrap the data key with the OS keychain too; `basic_text` needs acceptWeakBackend. */
  'vault.enableKeychain': z.object({ acceptWeakBackend: z.boolean().default(false) }).strict(),
  'vault.lock': z.object({}).strict(),
  /** The user is active in the renderer: restart the idle timer. */
  'vault.touch': z.object({}).strict(),
  /** Idle time before the automatic lock; applies from the next unlock. */
  'vault.setIdleMinutes': z
    .object({
      minutes: z
        .number()
        .int()
        .min(1)
        .max(24 * 60),
    })
    .strict(),
  /** Every study and series in the vault. */
  'vault.studies': z.object({}).strict(),
  /** Scan folders and copy every series found into the vault (originals are only read). */
  'vault.importFolder': z.object({ paths: z.array(pathSchema).min(1).max(10_000), taskId }).strict(),
  /** Removes a study, its objects and their keys. */
  'vault.deleteStudy': z.object({ ref }).strict(),
  /** Writes decrypted DICOM of a series (or a whole study) into a folder the user chose; audit-logged. */
  'vault.exportSeries': z
    .object({ key: ref, outDir: absolutePath, overwrite: z.boolean().optional() })
    .strict(),
  /** The most recent audit entries, newest last. */
  'vault.audit': z.object({ limit: z.number().int().min(1).max(10_000).default(100) }).strict(),
} as const;

export type VaultChannel = keyof typeof vaultRequestSchemas;

export interface VaultStatus {
  exists: boolean;
  unlocked: boolean;
  idleMinutes: number;
  keychain: {
    /** this process has an OS keychain at all (Electron safeStorage) */
    available: boolean;
    backend: string | null;
    /** `basic_text`: secrets stored with a fixed key; passphrase-free unlock refused by default */
    weak: boolean;
    /** the vault has a keychain-wrapped key, so "Unlock with keychain" can work */
    enabled: boolean;
  };
}

/** A series as the study browser lists it, plus where it lives in the vault. */
export interface VaultSeries extends ScannedSeriesSummary {
  ref: string;
  bytes: number;
  importedAt: string;
}

export interface VaultStudy {
  ref: string;
  studyInstanceUid: string;
  patientName: string;
  patientId: string;
  studyDate: string;
  studyDescription: string;
  importedAt: string;
  series: VaultSeries[];
}

export interface ImportedSeries {
  key: string;
  seriesRef: string;
  studyRef: string;
  instances: number;
  bytes: number;
  alreadyPresent: boolean;
}

export interface VaultAuditEntry {
  seq: number;
  time: string;
  user: string;
  event: string;
  studyRef?: string;
  seriesRef?: string;
  details?: Record<string, string | number | boolean>;
}

export interface VaultChannelResponses {
  'vault.status': VaultStatus;
  /** The recovery code is in this answer only: the lock screen shows it once. */
  'vault.create': VaultStatus & { recoveryCode: string };
  'vault.recover': VaultStatus;
  'vault.unlock': VaultStatus;
  'vault.unlockWithKeychain': VaultStatus;
  'vault.enableKeychain': VaultStatus;
  'vault.lock': VaultStatus;
  'vault.touch': { unlocked: boolean };
  'vault.setIdleMinutes': VaultStatus;
  'vault.studies': { studies: VaultStudy[] };
  'vault.importFolder': { imported: ImportedSeries[]; skipped: SkippedFile[]; studies: VaultStudy[] };
  'vault.deleteStudy': { objects: number; studies: VaultStudy[] };
  'vault.exportSeries': { files: number; outDir: string };
  'vault.audit': { entries: VaultAuditEntry[] };
}

export type VaultLockReason = 'manual' | 'idle';

export interface VaultEventPayloads {
  /** The vault locked (hotkey, button or idle timer): the renderer drops every decrypted datum. */
  'vault.locked': { reason: VaultLockReason };
}
