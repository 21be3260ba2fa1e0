/** The encrypted vault: the only place PulmoLens keeps patient data on disk. See docs/vault.md. */
export {
  createVault,
  openVault,
  openVaultWithOsKey,
  isVault,
  UnlockedVault,
  DEFAULT_IDLE_LOCK_MS,
  type CreateVaultOptions,
  type OpenVaultOptions,
  type VaultOptions,
  type VaultSession,
  type LockReason,
  type CatalogueStudy,
  type CatalogueSeries,
  type ImportResult,
  type StoredObject,
  type VerifyReport,
  type VaultProblem,
  type VaultProblemCode,
} from './vault';
export type { ObjectKind, StudyRecord, SeriesRecord, InstanceRecord } from './index-file';
export type { AuditEntry, AuditEvent } from './audit-log';
export { DEFAULT_KDF_COST, type KdfCost, type KdfParams } from './kdf';
export { type OsKeyProtector, WEAK_BACKENDS } from './keychain';
export { ObjectReader, DEFAULT_CHUNK_BYTES } from './object-file';
export { vaultFileSource } from './vault-file-source';
