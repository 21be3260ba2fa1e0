/** The encrypted vault: the only place PulmoLens keeps patient data on disk. See docs/vault.md. */
export {
  createVault,
  openVault,
  openVaultWithOsKey,
  recoverVault,
  isVault,
  type CreateVaultOptions,
  type OpenVaultOptions,
} from './open';
export { UnlockedVault } from './vault';
export { newRecoveryCode, normalizeRecoveryCode } from './recovery';
export { DEFAULT_IDLE_LOCK_MS, type VaultOptions, type VaultSession, type LockReason } from './session';
export type { CatalogueStudy, CatalogueSeries } from './catalogue';
export type { ImportResult, ImportOptions } from './dicom-series';
export type { StoredObject } from './object-store';
export type { VerifyReport, VaultProblem, VaultProblemCode } from './verify';
export type { ObjectKind, StudyRecord, SeriesRecord, InstanceRecord } from './index-file';
export type { AuditEntry, AuditEvent } from './audit-log';
export { DEFAULT_KDF_COST, type KdfCost, type KdfParams } from './kdf';
export { type OsKeyProtector, WEAK_BACKENDS } from './keychain';
export { ObjectReader, DEFAULT_CHUNK_BYTES } from './object-file';
export { vaultFileSource } from './vault-file-source';
export { resolveVaultSeries } from './series-ref';
