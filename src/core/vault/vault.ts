/**
 * The vault: create, unlock (passphrase or OS keychain), and the UnlockedVault that every other
 * feature reads and writes patient data through. Layout of a vault folder:
 *
 *   vault.json       header: vault id, Argon2id parameters + salt, wrapped data key(s)  (no PHI)
 *   index.plv        encrypted catalogue: studies, series, objects, per-object wrapped keys
 *   audit.plv        encrypted hash-chained audit log; audit-head.plv its sealed head
 *   objects/<id>.plo encrypted objects (random ids)
 *   tmp/             encrypted temporary files of writes in progress
 *   vault.lock       pid of the one process that may write
 *
 * Key hierarchy: passphrase --Argon2id--> KEK --wraps--> data key --HKDF--> index key, audit key,
 * object-key wrapping key --wraps--> one random key per object.
 */
import type { ScannedSeries, TaskOptions } from '../dicom/types';
import type { SlotRead } from '../dicom/decode-protocol';
import type { KdfCost, KdfParams } from './kdf';
import type { ObjectReader } from './object-file';
import type { ObjectKind, SeriesRecord, StudyRecord } from './index-file';
import type { AuditEntry, AuditEvent } from './audit-log';
import type { OsKeyProtector } from './keychain';
import type { OutputChoice } from '../io/safe-writer';
import type { LockReason, VaultSession, VaultSessionState } from './session';
import * as catalogue from './catalogue';
import * as objects from './object-store';
import * as dicom from './dicom-series';
import * as removal from './removal';
import * as keyWrapping from './key-wrapping';
import * as verification from './verify';

/**
 * The one handle every other feature reads and writes patient data through. Each operation lives
 * in the module of its job (catalogue, object-store, dicom-series, removal, key-wrapping, verify)
 * and runs on the shared session state (session.ts); this class only puts them behind one name.
 */
export class UnlockedVault implements VaultSession {
  readonly vaultId: string;
  readonly dir: string;

  /** @internal use createVault / openVault */
  constructor(private readonly s: VaultSessionState) {
    this.vaultId = s.vaultId;
    this.dir = s.dir;
  }

  get locked(): boolean {
    return this.s.locked;
  }

  get readOnly(): boolean {
    return this.s.readOnly;
  }

  get kdf(): Readonly<KdfParams> {
    return this.s.header.kdf;
  }

  get osUnlock(): { backend: string; acceptedWeakBackend: boolean } | null {
    const w = this.s.header.osWrap;
    return w ? { backend: w.backend, acceptedWeakBackend: w.acceptedWeakBackend } : null;
  }

  // ---- session -------------------------------------------------------------------------------

  touch(): void {
    this.s.touch();
  }

  onLock(listener: (reason: LockReason) => void): () => void {
    return this.s.onLock(listener);
  }

  lock(reason: LockReason = 'manual'): Promise<void> {
    return this.s.lock(reason);
  }

  recordEvent(
    event: AuditEvent,
    studyRef?: string,
    details?: AuditEntry['details'],
    seriesRef?: string,
  ): Promise<void> {
    return this.s.recordEvent(event, studyRef, details, seriesRef);
  }

  /** The reader audit entries name from now on (entered at unlock), instead of the OS account. */
  setActor(actor: string): void {
    if (this.s.audit) this.s.audit.actor = actor;
  }

  auditEntries(): Promise<AuditEntry[]> {
    return this.s.auditEntries();
  }

  // ---- catalogue -----------------------------------------------------------------------------

  listStudies(): catalogue.CatalogueStudy[] {
    return catalogue.listStudies(this.s);
  }

  openStudy(ref: string): Promise<StudyRecord> {
    return catalogue.openStudy(this.s, ref);
  }

  seriesLocation(ref: string): { studyRef: string; seriesRef: string } {
    return catalogue.seriesLocation(this.s, ref);
  }

  getSeries(ref: string): SeriesRecord {
    return catalogue.getSeries(this.s, ref);
  }

  listObjects(filter: { studyRef?: string; kind?: ObjectKind } = {}): objects.StoredObject[] {
    return catalogue.listObjects(this.s, filter);
  }

  // ---- objects -------------------------------------------------------------------------------

  openObject(objectId: string): Promise<ObjectReader> {
    return objects.openObject(this.s, objectId);
  }

  getObject(objectId: string): Promise<Buffer> {
    return objects.getObject(this.s, objectId);
  }

  readObjectRange(objectId: string, offset: number, length: number): Promise<Buffer> {
    return objects.readObjectRange(this.s, objectId, offset, length);
  }

  readObjectRangeInto(objectId: string, offset: number, target: Uint8Array): Promise<void> {
    return objects.readObjectRangeInto(this.s, objectId, offset, target);
  }

  /** Lets a decode worker decipher one object itself (see objectSlotRead). */
  objectSlotRead(objectId: string): SlotRead {
    return objects.objectSlotRead(this.s, objectId);
  }

  getJson<T = unknown>(objectId: string): Promise<T> {
    return objects.getJson<T>(this.s, objectId);
  }

  readInstance(seriesRefOrPath: string, sopInstanceUid?: string): Promise<Buffer> {
    return objects.readInstance(this.s, seriesRefOrPath, sopInstanceUid);
  }

  putObject(
    studyRef: string | null,
    kind: ObjectKind,
    data: Buffer | string | object | { path: string },
    opts: objects.PutObjectOptions = {},
  ): Promise<objects.StoredObject> {
    return objects.putObject(this.s, studyRef, kind, data, opts);
  }

  // ---- DICOM ---------------------------------------------------------------------------------

  importSeries(scanned: ScannedSeries, opts: dicom.ImportOptions = {}): Promise<dicom.ImportResult> {
    return dicom.importSeries(this.s, scanned, opts);
  }

  exportSeries(
    ref: string,
    outDir: string,
    choice: OutputChoice = {},
  ): Promise<{ files: number; outDir: string }> {
    return dicom.exportSeries(this.s, ref, outDir, choice);
  }

  // ---- removal -------------------------------------------------------------------------------

  deleteObject(objectId: string): Promise<void> {
    return removal.deleteObject(this.s, objectId);
  }

  deleteStudy(ref: string): Promise<{ objects: number }> {
    return removal.deleteStudy(this.s, ref);
  }

  collectOrphans(): Promise<{ removed: number; reattached: number }> {
    return removal.collectOrphans(this.s);
  }

  // ---- keys ----------------------------------------------------------------------------------

  changePassphrase(
    newPassphrase: string,
    opts: { kdf?: Partial<KdfCost>; allowWeakKdf?: boolean } = {},
  ): Promise<void> {
    return keyWrapping.changePassphrase(this.s, newPassphrase, opts);
  }

  rotateKeyWrapping(
    passphrase: string,
    opts: { kdf?: Partial<KdfCost>; allowWeakKdf?: boolean; protector?: OsKeyProtector } = {},
  ): Promise<void> {
    return keyWrapping.rotateKeyWrapping(this.s, passphrase, opts);
  }

  enableOsUnlock(protector: OsKeyProtector, opts: { acceptWeakBackend?: boolean } = {}): Promise<void> {
    return keyWrapping.enableOsUnlock(this.s, protector, opts);
  }

  disableOsUnlock(): Promise<void> {
    return keyWrapping.disableOsUnlock(this.s);
  }

  // ---- verification --------------------------------------------------------------------------

  verify(opts: { onProgress?: TaskOptions['onProgress'] } = {}): Promise<verification.VerifyReport> {
    return verification.verify(this.s, opts);
  }
}
