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
import { promises as fsp } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { PulmoLensError } from '../../common/errors';
import type { FrameRef, ScannedSeries, TaskOptions } from '../dicom/types';
import { aad, equalBytes, open, randomId, randomKey, seal, subkey, wipe } from './crypto';
import { checkKdfCost, DEFAULT_KDF_COST, deriveKek, type KdfCost, type KdfParams } from './kdf';
import { fsyncDir, ioError } from './atomic-fs';
import {
  FORMAT_NAME,
  FORMAT_VERSION,
  keyCheck,
  readHeader,
  unwrapWithKek,
  wrapWithKek,
  writeHeader,
  type VaultHeader,
} from './header';
import { DEFAULT_CHUNK_BYTES, ObjectReader, writeObjectFile, type ObjectSource } from './object-file';
import {
  emptyIndex,
  readIndex,
  writeIndex,
  type IndexDoc,
  type InstanceRecord,
  type ObjectKind,
  type ObjectRecord,
  type SeriesRecord,
  type StudyRecord,
} from './index-file';
import { AuditLog, readAuditLog, type AuditEntry, type AuditEvent } from './audit-log';
import { acquireWriterLock } from './vault-lock-file';
import { assertUsableProtector, WEAK_BACKENDS, type OsKeyProtector } from './keychain';
import { findOrphans, STUDY_OWNED_KINDS } from './orphans';

export const DEFAULT_IDLE_LOCK_MS = 15 * 60 * 1000;
const IMPORT_CONCURRENCY = 4;
const VAULT_PREFIX = 'vault:';

export interface VaultOptions {
  /** Lock after this long without use; default 15 minutes; 0 disables (CLI one-shot commands). */
  idleLockMs?: number;
}

export interface CreateVaultOptions extends VaultOptions {
  kdf?: Partial<KdfCost>;
  /**
   * Allow Argon2id costs below the product minimum. Only tests that are not about the KDF use
   * this, to create many vaults quickly; the CLI and the app never pass it.
   */
  allowWeakKdf?: boolean;
  chunkBytes?: number;
}

export interface OpenVaultOptions extends VaultOptions {
  /** Read without the writer lock, garbage collection or audit entries (used by `verify`). */
  readOnly?: boolean;
}

export type LockReason = 'manual' | 'idle';

/** What the app's session layer needs: lock it, hear when it locks, keep it alive while in use. */
export interface VaultSession {
  readonly locked: boolean;
  lock(reason?: LockReason): Promise<void>;
  onLock(listener: (reason: LockReason) => void): () => void;
  touch(): void;
}

export interface CatalogueSeries {
  ref: string;
  key: string;
  seriesInstanceUid: string;
  seriesNumber: number | null;
  seriesDescription: string;
  modality: string;
  instances: number;
  frames: number;
  bytes: number;
  importedAt: string;
}

export interface CatalogueStudy {
  ref: string;
  studyInstanceUid: string;
  patientName: string;
  patientId: string;
  studyDate: string;
  studyDescription: string;
  accessionNumber: string;
  series: CatalogueSeries[];
  objects: Partial<Record<ObjectKind, number>>;
  importedAt: string;
}

export interface ImportResult {
  studyRef: string;
  seriesRef: string;
  instances: number;
  bytes: number;
  alreadyPresent: boolean;
}

export type StoredObject = Omit<ObjectRecord, 'wrappedKey'>;

export type VaultProblemCode =
  | 'OBJECT_MISSING'
  | 'OBJECT_CORRUPT'
  | 'OBJECT_KEY_INVALID'
  | 'OBJECT_ORPHANED'
  | 'INDEX_INCONSISTENT'
  | 'AUDIT_BROKEN';

export interface VaultProblem {
  code: VaultProblemCode;
  message: string;
  objectId?: string;
  chunk?: number | null;
  studyRef?: string | null;
  auditSeq?: number | null;
}

export interface VerifyReport {
  ok: boolean;
  problems: VaultProblem[];
  /** harmless leftovers of interrupted writes, cleaned on the next writable unlock */
  notes: string[];
  objectsChecked: number;
  chunksChecked: number;
  bytesChecked: number;
  auditEntries: number;
}

function paths(dir: string) {
  return { objects: join(dir, 'objects'), tmp: join(dir, 'tmp') };
}

function objectPath(dir: string, id: string): string {
  return join(dir, 'objects', `${id}.plo`);
}

function now(): string {
  return new Date().toISOString();
}

function resolveCost(k: Partial<KdfCost> | undefined, allowWeak: boolean): KdfCost {
  const cost: KdfCost = { ...DEFAULT_KDF_COST, ...(k ?? {}) };
  checkKdfCost(cost, allowWeak);
  return cost;
}

function freshKdf(cost: KdfCost): KdfParams {
  return { algorithm: 'argon2id', ...cost, salt: randomBytes(16).toString('hex') };
}

const KNOWN_ENTRIES = new Set(['objects', 'tmp', 'index.plv', 'audit.plv', 'audit-head.plv', 'vault.lock']);

export async function createVault(
  dir: string,
  passphrase: string,
  opts: CreateVaultOptions = {},
): Promise<UnlockedVault> {
  const cost = resolveCost(opts.kdf, opts.allowWeakKdf === true);
  const chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  let existing: string[] = [];
  try {
    existing = await fsp.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(err, 'read the vault folder', dir);
  }
  if (existing.includes('vault.json')) {
    throw new PulmoLensError('VAULT_EXISTS', 'a vault already exists here', { path: dir });
  }
  // A folder left by an interrupted create holds only our own files and may be reused.
  const foreign = existing.filter((e) => !KNOWN_ENTRIES.has(e));
  if (foreign.length > 0) {
    throw new PulmoLensError(
      'INVALID_INPUT',
      `the folder is not empty (${foreign.length} entries); choose a new one`,
      {
        path: dir,
      },
    );
  }
  const p = paths(dir);
  try {
    await fsp.mkdir(p.objects, { recursive: true, mode: 0o700 });
    await fsp.mkdir(p.tmp, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw ioError(err, 'create the vault folder', dir);
  }
  const release = await acquireWriterLock(dir);
  const vaultId = randomBytes(16).toString('hex');
  const dataKey = randomKey();
  try {
    const kdf = freshKdf(cost);
    const kek = await deriveKek(passphrase, kdf);
    const header: VaultHeader = {
      format: FORMAT_NAME,
      version: FORMAT_VERSION,
      vaultId,
      chunkBytes,
      kdf,
      passphraseWrap: wrapWithKek(kek, dataKey, vaultId, kdf),
      osWrap: null,
      keyCheck: keyCheck(dataKey, vaultId),
    };
    wipe(kek);
    const keys = deriveKeys(dataKey, vaultId);
    await writeIndex(dir, p.tmp, vaultId, keys.index, emptyIndex());
    const audit = await AuditLog.create(dir, p.tmp, vaultId, keys.audit);
    // The header goes last: a folder without it is an unfinished create, never a half vault.
    await writeHeader(dir, p.tmp, header);
    const v = new UnlockedVault(dir, header, dataKey, keys, emptyIndex(), audit, release, opts);
    await v.recordEvent('vault-created', undefined, {
      kdfMemoryKiB: kdf.memoryKiB,
      kdfIterations: kdf.iterations,
    });
    return v;
  } catch (err) {
    wipe(dataKey);
    await release();
    throw err;
  }
}

/** Unlocks with the passphrase. A wrong passphrase changes nothing on disk. */
export async function openVault(
  dir: string,
  passphrase: string,
  opts: OpenVaultOptions = {},
): Promise<UnlockedVault> {
  const header = await readHeader(dir);
  const kek = await deriveKek(passphrase, header.kdf);
  const dataKey = unwrapWithKek(kek, header);
  wipe(kek);
  if (!dataKey) {
    throw new PulmoLensError('VAULT_WRONG_PASSPHRASE', 'wrong passphrase for this vault', { path: dir });
  }
  return finishOpen(dir, header, dataKey, opts, 'passphrase');
}

/** Unlocks with the data key wrapped by the OS keychain (enabled earlier with enableOsUnlock). */
export async function openVaultWithOsKey(
  dir: string,
  protector: OsKeyProtector,
  opts: OpenVaultOptions = {},
): Promise<UnlockedVault> {
  const header = await readHeader(dir);
  if (!header.osWrap) {
    throw new PulmoLensError(
      'VAULT_KEYCHAIN_REFUSED',
      'unlock with the OS keychain is not enabled for this vault',
      {
        path: dir,
      },
    );
  }
  assertUsableProtector(protector, header.osWrap.acceptedWeakBackend);
  let dataKey: Buffer;
  try {
    dataKey = protector.decrypt(Buffer.from(header.osWrap.blob, 'base64'));
  } catch (err) {
    throw new PulmoLensError('VAULT_KEYCHAIN_REFUSED', 'the OS keychain could not unwrap the vault key', {
      path: dir,
      cause: err,
    });
  }
  if (dataKey.length !== 32 || keyCheck(dataKey, header.vaultId) !== header.keyCheck) {
    wipe(dataKey);
    throw new PulmoLensError(
      'VAULT_KEYCHAIN_REFUSED',
      'the OS keychain returned a key that does not open this vault',
      {
        path: dir,
      },
    );
  }
  return finishOpen(dir, header, dataKey, opts, `os-keychain:${header.osWrap.backend}`);
}

export async function isVault(dir: string): Promise<boolean> {
  try {
    await readHeader(dir);
    return true;
  } catch {
    return false;
  }
}

interface Keys {
  index: Buffer;
  audit: Buffer;
  objectWrap: Buffer;
}

function deriveKeys(dataKey: Buffer, vaultId: string): Keys {
  return {
    index: subkey(dataKey, vaultId, 'index'),
    audit: subkey(dataKey, vaultId, 'audit'),
    objectWrap: subkey(dataKey, vaultId, 'object-key-wrap'),
  };
}

async function finishOpen(
  dir: string,
  header: VaultHeader,
  dataKey: Buffer,
  opts: OpenVaultOptions,
  via: string,
): Promise<UnlockedVault> {
  if (keyCheck(dataKey, header.vaultId) !== header.keyCheck) {
    wipe(dataKey);
    throw new PulmoLensError('VAULT_CORRUPT', 'vault header: key check value does not match the data key', {
      path: dir,
      details: { objectId: 'header' },
    });
  }
  const keys = deriveKeys(dataKey, header.vaultId);
  let release: (() => Promise<void>) | null = null;
  try {
    if (opts.readOnly) {
      const index = await readIndex(dir, header.vaultId, keys.index);
      return new UnlockedVault(dir, header, dataKey, keys, index, null, null, opts);
    }
    release = await acquireWriterLock(dir);
    const index = await readIndex(dir, header.vaultId, keys.index);
    await collectGarbage(dir, index);
    const audit = await AuditLog.openForAppend(dir, paths(dir).tmp, header.vaultId, keys.audit);
    const v = new UnlockedVault(dir, header, dataKey, keys, index, audit, release, opts);
    await v.recordEvent('vault-unlocked', undefined, { via });
    return v;
  } catch (err) {
    wipe(dataKey, keys.index, keys.audit, keys.objectWrap);
    await release?.();
    throw err;
  }
}

/** Removes temporary files and objects no index names (left by interrupted imports or deletes). */
async function collectGarbage(dir: string, index: IndexDoc): Promise<void> {
  const p = paths(dir);
  const rmAll = async (folder: string, keep: (name: string) => boolean): Promise<number> => {
    let names: string[];
    try {
      names = await fsp.readdir(folder);
    } catch (err) {
      throw ioError(err, 'list vault files', folder);
    }
    let n = 0;
    for (const name of names) {
      if (keep(name)) continue;
      try {
        await fsp.rm(join(folder, name), { force: true, recursive: true });
        n++;
      } catch (err) {
        throw ioError(err, 'remove a leftover temporary file', join(folder, name));
      }
    }
    return n;
  };
  if ((await rmAll(p.tmp, () => false)) > 0) await fsyncDir(p.tmp);
  const known = (name: string) => name.endsWith('.plo') && index.objects[name.slice(0, -4)] !== undefined;
  if ((await rmAll(p.objects, known)) > 0) await fsyncDir(p.objects);
}

function wrapObjectKey(wrapKey: Buffer, vaultId: string, objectId: string, key: Buffer): string {
  return seal(wrapKey, key, aad('PLV/object-key', vaultId, objectId)).toString('base64');
}

export class UnlockedVault implements VaultSession {
  private keys: Keys | null;
  private dataKey: Buffer | null;
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly listeners = new Set<(reason: LockReason) => void>();
  private queue: Promise<unknown> = Promise.resolve();
  /** operations in flight; lock() waits for them before it wipes the keys they use */
  private readonly pending = new Set<Promise<unknown>>();
  private locking: Promise<void> | null = null;
  private readonly idleLockMs: number;
  readonly vaultId: string;
  readonly dir: string;

  /** @internal use createVault / openVault */
  constructor(
    dir: string,
    private header: VaultHeader,
    dataKey: Buffer,
    keys: Keys,
    private index: IndexDoc,
    private readonly audit: AuditLog | null,
    private release: (() => Promise<void>) | null,
    opts: VaultOptions,
  ) {
    this.dir = resolve(dir);
    this.vaultId = header.vaultId;
    this.dataKey = dataKey;
    this.keys = keys;
    this.idleLockMs = opts.idleLockMs ?? DEFAULT_IDLE_LOCK_MS;
    this.touch();
  }

  get locked(): boolean {
    return this.keys === null;
  }

  get readOnly(): boolean {
    return this.audit === null;
  }

  get kdf(): Readonly<KdfParams> {
    return this.header.kdf;
  }

  get osUnlock(): { backend: string; acceptedWeakBackend: boolean } | null {
    const w = this.header.osWrap;
    return w ? { backend: w.backend, acceptedWeakBackend: w.acceptedWeakBackend } : null;
  }

  // ---- session -------------------------------------------------------------------------------

  touch(): void {
    if (this.locked) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.idleLockMs > 0 && Number.isFinite(this.idleLockMs)) {
      this.idleTimer = setTimeout(() => {
        void this.lock('idle').catch(() => undefined);
      }, this.idleLockMs);
      // An idle timer must never keep a CLI process alive.
      this.idleTimer.unref();
    }
  }

  onLock(listener: (reason: LockReason) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Refuses new operations, lets those in flight finish (so the index and the log stay complete
   * and no read sees a wiped key), writes the audit entry, drops every key from memory, releases
   * the writer lock and tells listeners.
   */
  lock(reason: LockReason = 'manual'): Promise<void> {
    if (this.locked) return Promise.resolve();
    this.locking ??= this.lockNow(reason);
    return this.locking;
  }

  private async lockNow(reason: LockReason): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    let auditError: unknown = null;
    if (this.audit) {
      try {
        await this.audit.append(this.keys!.audit, { event: 'vault-locked', details: { reason } });
      } catch (err) {
        auditError = err;
      }
    }
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    wipe(this.dataKey ?? undefined, this.keys?.index, this.keys?.audit, this.keys?.objectWrap);
    this.dataKey = null;
    this.keys = null;
    this.index = emptyIndex();
    await this.release?.();
    this.release = null;
    for (const l of this.listeners) {
      try {
        l(reason);
      } catch {
        // A failing listener must not keep the vault unlocked.
      }
    }
    // The keys are gone either way; the caller still learns that the entry could not be written.
    if (auditError) throw auditError;
  }

  /** Runs an operation unless the vault is locked or locking, and tracks it until it settles. */
  private track<T>(fn: () => Promise<T>): Promise<T> {
    if (this.locked || this.locking) {
      return Promise.reject(new PulmoLensError('VAULT_LOCKED', 'the vault is locked', { path: this.dir }));
    }
    let p: Promise<T>;
    try {
      p = fn();
    } catch (err) {
      return Promise.reject(err);
    }
    this.pending.add(p);
    p.then(
      () => this.pending.delete(p),
      () => this.pending.delete(p),
    );
    return p;
  }

  private k(): Keys {
    if (!this.keys) throw new PulmoLensError('VAULT_LOCKED', 'the vault is locked', { path: this.dir });
    this.touch();
    return this.keys;
  }

  private writable(): Keys {
    const k = this.k();
    if (!this.audit)
      throw new PulmoLensError('VAULT_LOCKED', 'the vault is open read-only', { path: this.dir });
    return k;
  }

  /** Serialises writes within this process so index updates never interleave. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.track(() => {
      const run = this.queue.then(fn, fn);
      this.queue = run.catch(() => undefined);
      return run;
    });
  }

  recordEvent(event: AuditEvent, studyRef?: string, details?: AuditEntry['details']): Promise<void> {
    return this.track(async () => {
      const k = this.writable();
      await this.audit!.append(k.audit, {
        event,
        ...(studyRef ? { studyRef } : {}),
        ...(details ? { details } : {}),
      });
    });
  }

  auditEntries(): Promise<AuditEntry[]> {
    return this.track(async () => {
      const k = this.k();
      return (await readAuditLog(this.dir, this.vaultId, k.audit)).entries;
    });
  }

  // ---- catalogue -----------------------------------------------------------------------------

  listStudies(): CatalogueStudy[] {
    this.k();
    return this.index.studies.map((s) => this.summarise(s));
  }

  private summarise(s: StudyRecord): CatalogueStudy {
    const objects: Partial<Record<ObjectKind, number>> = {};
    for (const o of Object.values(this.index.objects)) {
      if (o.studyRef === s.ref) objects[o.kind] = (objects[o.kind] ?? 0) + 1;
    }
    return {
      ref: s.ref,
      studyInstanceUid: s.studyInstanceUid,
      patientName: s.patientName,
      patientId: s.patientId,
      studyDate: s.studyDate,
      studyDescription: s.studyDescription,
      accessionNumber: s.accessionNumber,
      importedAt: s.importedAt,
      objects,
      series: s.series.map((r) => ({
        ref: r.ref,
        key: r.key,
        seriesInstanceUid: r.metadata.seriesInstanceUid,
        seriesNumber: r.metadata.seriesNumber,
        seriesDescription: r.metadata.seriesDescription,
        modality: r.metadata.modality,
        instances: r.instances.length,
        frames: r.scanned.frames.length,
        bytes: r.instances.reduce((a, i) => a + i.size, 0),
        importedAt: r.importedAt,
      })),
    };
  }

  /** Finds studies by vault ref, StudyInstanceUID, or (through a series) series ref / UID / key. */
  private findStudy(ref: string): StudyRecord | undefined {
    return this.index.studies.find(
      (s) =>
        s.ref === ref ||
        s.studyInstanceUid === ref ||
        s.series.some((r) => r.ref === ref || r.key === ref || r.metadata.seriesInstanceUid === ref),
    );
  }

  private findSeries(ref: string): { study: StudyRecord; series: SeriesRecord } | undefined {
    for (const study of this.index.studies) {
      const series = study.series.find(
        (r) => r.ref === ref || r.key === ref || r.metadata.seriesInstanceUid === ref,
      );
      if (series) return { study, series };
    }
    return undefined;
  }

  private requireStudy(ref: string): StudyRecord {
    const s = this.findStudy(ref);
    if (!s)
      throw new PulmoLensError('NOT_FOUND', `no study or series "${ref}" in the vault`, { path: this.dir });
    return s;
  }

  /** The study with its series (scan results whose frame paths are `vault:<objectId>`); audit-logged. */
  async openStudy(ref: string): Promise<StudyRecord> {
    this.k();
    const s = this.requireStudy(ref);
    if (!this.readOnly) await this.recordEvent('study-opened', s.ref);
    return structuredClone(s);
  }

  /** The study and series a series ref, key or SeriesInstanceUID names; NOT_FOUND when absent. */
  seriesLocation(ref: string): { studyRef: string; seriesRef: string } {
    this.k();
    const hit = this.findSeries(ref);
    if (!hit) throw new PulmoLensError('NOT_FOUND', `no series "${ref}" in the vault`, { path: this.dir });
    return { studyRef: hit.study.ref, seriesRef: hit.series.ref };
  }

  getSeries(ref: string): SeriesRecord {
    this.k();
    const hit = this.findSeries(ref);
    if (!hit) throw new PulmoLensError('NOT_FOUND', `no series "${ref}" in the vault`, { path: this.dir });
    return structuredClone(hit.series);
  }

  listObjects(filter: { studyRef?: string; kind?: ObjectKind } = {}): StoredObject[] {
    this.k();
    return Object.values(this.index.objects)
      .filter(
        (o) =>
          (filter.studyRef === undefined || o.studyRef === filter.studyRef) &&
          (!filter.kind || o.kind === filter.kind),
      )
      .map(({ wrappedKey: _w, ...rest }) => rest);
  }

  // ---- reading -------------------------------------------------------------------------------

  private record(objectId: string): ObjectRecord {
    const id = objectId.startsWith(VAULT_PREFIX) ? objectId.slice(VAULT_PREFIX.length) : objectId;
    const r = this.index.objects[id];
    if (!r) throw new PulmoLensError('NOT_FOUND', `no object ${id} in the vault`, { path: this.dir });
    return r;
  }

  private unwrapKey(k: Keys, r: ObjectRecord): Buffer {
    const key = open(
      k.objectWrap,
      Buffer.from(r.wrappedKey, 'base64'),
      aad('PLV/object-key', this.vaultId, r.id),
    );
    if (!key) {
      throw new PulmoLensError('VAULT_CORRUPT', `object ${r.id}: its wrapped key fails authentication`, {
        path: objectPath(this.dir, r.id),
        details: { objectId: r.id, chunk: null },
      });
    }
    return key;
  }

  /** Opens one object for random access; the caller closes it. */
  async openObject(objectId: string): Promise<ObjectReader> {
    const k = this.k();
    const r = this.record(objectId);
    const key = this.unwrapKey(k, r);
    try {
      return await ObjectReader.open(
        objectPath(this.dir, r.id),
        { vaultId: this.vaultId, objectId: r.id, chunkBytes: r.chunkBytes },
        key,
        r.size,
      );
    } catch (err) {
      wipe(key);
      throw err;
    }
  }

  getObject(objectId: string): Promise<Buffer> {
    return this.track(() => this.readWhole(objectId));
  }

  /** Untracked, for use inside operations that are already tracked (export). */
  private async readWhole(objectId: string): Promise<Buffer> {
    const reader = await this.openObject(objectId);
    try {
      return await reader.readAll();
    } finally {
      await reader.close();
    }
  }

  /** Decrypts only the chunks that hold [offset, offset + length). */
  readObjectRange(objectId: string, offset: number, length: number): Promise<Buffer> {
    return this.track(async () => {
      const reader = await this.openObject(objectId);
      try {
        return await reader.readRange(offset, length);
      } finally {
        await reader.close();
      }
    });
  }

  async getJson<T = unknown>(objectId: string): Promise<T> {
    const b = await this.getObject(objectId);
    return JSON.parse(b.toString('utf8')) as T;
  }

  /**
   * The bytes of one DICOM instance: by `vault:<objectId>` (a frame path of a stored series),
   * by object id, or by SOPInstanceUID within `seriesRef`. One slice, nothing else decrypted.
   */
  async readInstance(seriesRefOrPath: string, sopInstanceUid?: string): Promise<Buffer> {
    this.k();
    if (sopInstanceUid === undefined) return this.getObject(seriesRefOrPath);
    const hit = this.findSeries(seriesRefOrPath);
    if (!hit)
      throw new PulmoLensError('NOT_FOUND', `no series "${seriesRefOrPath}" in the vault`, {
        path: this.dir,
      });
    const inst = hit.series.instances.find((i) => i.sopInstanceUid === sopInstanceUid);
    if (!inst) {
      throw new PulmoLensError('NOT_FOUND', `no instance ${sopInstanceUid} in series ${hit.series.ref}`, {
        path: this.dir,
      });
    }
    return this.getObject(inst.objectId);
  }

  // ---- writing -------------------------------------------------------------------------------

  private async commit(mutate: (next: IndexDoc) => void): Promise<void> {
    const k = this.writable();
    const next = structuredClone(this.index);
    mutate(next);
    next.generation = this.index.generation + 1;
    await writeIndex(this.dir, paths(this.dir).tmp, this.vaultId, k.index, next);
    this.index = next;
  }

  private async writeObject(
    k: Keys,
    source: ObjectSource,
    meta: { kind: ObjectKind; studyRef: string | null; seriesRef: string | null; name: string },
    scratch?: Buffer,
  ): Promise<ObjectRecord> {
    const id = randomId();
    const key = randomKey();
    try {
      const size = await writeObjectFile(
        paths(this.dir).tmp,
        objectPath(this.dir, id),
        { vaultId: this.vaultId, objectId: id, chunkBytes: this.header.chunkBytes },
        key,
        source,
        scratch,
      );
      return {
        id,
        ...meta,
        size,
        chunkBytes: this.header.chunkBytes,
        wrappedKey: wrapObjectKey(k.objectWrap, this.vaultId, id, key),
        createdAt: now(),
      };
    } finally {
      wipe(key);
    }
  }

  private async discard(ids: string[]): Promise<void> {
    for (const id of ids) await fsp.rm(objectPath(this.dir, id), { force: true }).catch(() => undefined);
  }

  /**
   * Copies every file of a scanned series into the vault as encrypted objects and records the
   * study and series in the index in one atomic step: after a crash the series is either fully
   * present or absent. The original files are only read.
   */
  importSeries(scanned: ScannedSeries, opts: TaskOptions = {}): Promise<ImportResult> {
    return this.exclusive(async () => {
      const k = this.writable();
      const md = scanned.metadata;
      const existingStudy = this.index.studies.find(
        (s) => md.studyInstanceUid !== '' && s.studyInstanceUid === md.studyInstanceUid,
      );
      const existingSeries = existingStudy?.series.find((r) => r.key === scanned.key);
      if (existingStudy && existingSeries) {
        return {
          studyRef: existingStudy.ref,
          seriesRef: existingSeries.ref,
          instances: existingSeries.instances.length,
          bytes: existingSeries.instances.reduce((a, i) => a + i.size, 0),
          alreadyPresent: true,
        };
      }
      const studyRef = existingStudy?.ref ?? randomId();
      const seriesRef = randomId();
      const files: Array<{ path: string; sop: string }> = [];
      const seen = new Set<string>();
      for (const f of scanned.frames) {
        if (seen.has(f.path)) continue;
        seen.add(f.path);
        files.push({ path: f.path, sop: f.sopInstanceUid });
      }
      if (files.length === 0) throw new PulmoLensError('INVALID_INPUT', `series ${scanned.key} has no files`);

      const written: ObjectRecord[] = new Array(files.length);
      const writtenIds: string[] = [];
      let done = 0;
      let next = 0;
      const total = files.length;
      opts.onProgress?.({ done, total, stage: 'encrypting' });
      const scratches: Buffer[] = [];
      // The first failure stops every worker; cleanup waits until none is still writing.
      let failure: unknown = null;
      const worker = async () => {
        // One read buffer per worker, reused for every file and wiped at the end.
        const scratch = Buffer.allocUnsafe(this.header.chunkBytes);
        scratches.push(scratch);
        while (next < files.length && failure === null) {
          if (opts.signal?.aborted) {
            failure ??= new PulmoLensError('CANCELLED', 'import cancelled');
            break;
          }
          const i = next++;
          try {
            const rec = await this.writeObject(
              k,
              { path: files[i]!.path },
              { kind: 'dicom', studyRef, seriesRef, name: '' },
              scratch,
            );
            written[i] = rec;
            writtenIds.push(rec.id);
          } catch (err) {
            failure ??= err;
            break;
          }
          done++;
          this.touch();
          opts.onProgress?.({ done, total, stage: 'encrypting' });
        }
      };
      try {
        try {
          await Promise.all(Array.from({ length: Math.min(IMPORT_CONCURRENCY, files.length) }, worker));
        } finally {
          for (const s of scratches) s.fill(0);
        }
        if (failure !== null) throw failure;
        if (opts.signal?.aborted) throw new PulmoLensError('CANCELLED', 'import cancelled');
        await fsyncDir(paths(this.dir).objects);
        const objectOf = new Map(files.map((f, i) => [f.path, written[i]!.id]));
        const frames: FrameRef[] = scanned.frames.map((f) => ({
          ...f,
          path: `${VAULT_PREFIX}${objectOf.get(f.path)}`,
        }));
        const instances: InstanceRecord[] = files.map((f, i) => ({
          objectId: written[i]!.id,
          sopInstanceUid: f.sop,
          size: written[i]!.size,
        }));
        const seriesRec: SeriesRecord = {
          ref: seriesRef,
          key: scanned.key,
          metadata: { ...md },
          scanned: { ...structuredClone(scanned), frames },
          instances,
          importedAt: now(),
        };
        opts.onProgress?.({ done, total, stage: 'committing' });
        await this.commit((doc) => {
          for (const r of written) doc.objects[r.id] = r;
          const study = doc.studies.find((s) => s.ref === studyRef);
          if (study) study.series.push(seriesRec);
          else {
            doc.studies.push({
              ref: studyRef,
              studyInstanceUid: md.studyInstanceUid,
              patientName: md.patientName,
              patientId: md.patientId,
              patientBirthDate: md.patientBirthDate,
              patientSex: md.patientSex,
              studyDate: md.studyDate,
              studyDescription: md.studyDescription,
              accessionNumber: md.accessionNumber,
              series: [seriesRec],
              importedAt: now(),
            });
          }
        });
      } catch (err) {
        // Nothing names these objects yet; removing them now saves the next unlock the work.
        await this.discard(writtenIds);
        throw err;
      }
      const bytes = totalBytes(written);
      await this.audit!.append(k.audit, {
        event: 'study-imported',
        studyRef,
        details: { seriesRef, instances: files.length, bytes },
      });
      return { studyRef, seriesRef, instances: files.length, bytes, alreadyPresent: false };
    });
  }

  /**
   * Stores a result, review decision, report or cache for a study and series (only `other`
   * objects may belong to the vault as a whole: studyRef null). Deleting the study deletes them.
   * Objects are immutable: a new version is a new object.
   */
  putObject(
    studyRef: string | null,
    kind: ObjectKind,
    data: Buffer | string | object | { path: string },
    opts: { name?: string; seriesRef?: string } = {},
  ): Promise<StoredObject> {
    return this.exclusive(async () => {
      const k = this.writable();
      const study = studyRef === null ? null : this.requireStudy(studyRef);
      if (!study && STUDY_OWNED_KINDS.has(kind)) {
        throw new PulmoLensError('INVALID_INPUT', `a ${kind} object belongs to a study: name its study`);
      }
      if (opts.seriesRef !== undefined && !study?.series.some((r) => r.ref === opts.seriesRef)) {
        throw new PulmoLensError(
          'NOT_FOUND',
          `no series ${opts.seriesRef} in study ${study?.ref ?? '(none)'}`,
          {
            path: this.dir,
          },
        );
      }
      const source: ObjectSource = Buffer.isBuffer(data)
        ? { bytes: data }
        : typeof data === 'string'
          ? { bytes: Buffer.from(data, 'utf8') }
          : 'path' in data &&
              typeof (data as { path: unknown }).path === 'string' &&
              Object.keys(data).length === 1
            ? { path: (data as { path: string }).path }
            : { bytes: Buffer.from(JSON.stringify(data), 'utf8') };
      const rec = await this.writeObject(k, source, {
        kind,
        studyRef: study?.ref ?? null,
        seriesRef: opts.seriesRef ?? null,
        name: opts.name ?? '',
      });
      try {
        await fsyncDir(paths(this.dir).objects);
        await this.commit((doc) => {
          doc.objects[rec.id] = rec;
        });
      } catch (err) {
        await this.discard([rec.id]);
        throw err;
      }
      const event: AuditEvent | null =
        kind === 'analysis'
          ? 'study-analysed'
          : kind === 'review'
            ? 'review-saved'
            : kind === 'report'
              ? 'report-saved'
              : kind === 'volume-cache'
                ? null
                : 'object-stored';
      if (event) {
        await this.audit!.append(k.audit, {
          event,
          ...(study ? { studyRef: study.ref } : {}),
          details: { objectId: rec.id, kind },
        });
      }
      const { wrappedKey: _w, ...out } = rec;
      return out;
    });
  }

  deleteObject(objectId: string): Promise<void> {
    return this.exclusive(async () => {
      const k = this.writable();
      const r = this.record(objectId);
      if (r.kind === 'dicom') {
        throw new PulmoLensError(
          'INVALID_INPUT',
          'DICOM instances are removed with their study (deleteStudy)',
        );
      }
      await this.commit((doc) => {
        delete doc.objects[r.id];
      });
      await this.discard([r.id]);
      await fsyncDir(paths(this.dir).objects);
      await this.audit!.append(k.audit, {
        event: 'object-deleted',
        ...(r.studyRef ? { studyRef: r.studyRef } : {}),
        details: { objectId: r.id, kind: r.kind },
      });
    });
  }

  /**
   * Removes a study: the index entry (and with it every wrapped per-object key) goes first in one
   * atomic step, then the object files. A crash in between leaves unreachable files that the
   * next unlock removes.
   */
  deleteStudy(ref: string): Promise<{ objects: number }> {
    return this.exclusive(async () => {
      const k = this.writable();
      const study = this.requireStudy(ref);
      const seriesRefs = new Set(study.series.map((r) => r.ref));
      const ids = Object.values(this.index.objects)
        .filter((o) => o.studyRef === study.ref || (o.seriesRef !== null && seriesRefs.has(o.seriesRef)))
        .map((o) => o.id);
      await this.commit((doc) => {
        doc.studies = doc.studies.filter((s) => s.ref !== study.ref);
        for (const id of ids) delete doc.objects[id];
      });
      await this.discard(ids);
      await fsyncDir(paths(this.dir).objects);
      await this.audit!.append(k.audit, {
        event: 'study-deleted',
        studyRef: study.ref,
        details: { objects: ids.length },
      });
      return { objects: ids.length };
    });
  }

  /**
   * Removes objects whose study or series is gone (left by versions whose delete did not cascade)
   * and re-attaches results stored without a study whose series is still here. One index commit,
   * then the files; audit-logged when it changed anything.
   */
  collectOrphans(): Promise<{ removed: number; reattached: number }> {
    return this.exclusive(async () => {
      const k = this.writable();
      const verdicts = findOrphans(this.index);
      const removed = verdicts.filter((v) => v.action === 'remove').map((v) => v.id);
      const reattached = verdicts.length - removed.length;
      if (verdicts.length === 0) return { removed: 0, reattached: 0 };
      await this.commit((doc) => {
        for (const v of verdicts) {
          if (v.action === 'remove') delete doc.objects[v.id];
          else doc.objects[v.id] = { ...doc.objects[v.id]!, studyRef: v.studyRef, seriesRef: v.seriesRef };
        }
      });
      await this.discard(removed);
      await fsyncDir(paths(this.dir).objects);
      await this.audit!.append(k.audit, {
        event: 'orphans-removed',
        details: { removed: removed.length, reattached },
      });
      return { removed: removed.length, reattached };
    });
  }

  /**
   * Writes decrypted DICOM files of a study (every series in its own folder) or of one series
   * into `outDir`, which the user chose. Refuses to overwrite. Audit-logged.
   */
  exportSeries(ref: string, outDir: string): Promise<{ files: number; outDir: string }> {
    return this.exclusive(async () => {
      const k = this.writable();
      const one = this.findSeries(ref);
      const study = one?.study ?? this.requireStudy(ref);
      const list = one ? [one.series] : study.series;
      let files = 0;
      for (const [si, series] of list.entries()) {
        const dir = one
          ? outDir
          : join(outDir, `series-${String(series.metadata.seriesNumber ?? si + 1).padStart(3, '0')}`);
        try {
          await fsp.mkdir(dir, { recursive: true });
        } catch (err) {
          throw ioError(err, 'create the export folder', dir);
        }
        // Files in slice order, named by position only (no UIDs or names in file names).
        const order: string[] = [];
        const seen = new Set<string>();
        for (const f of series.scanned.frames) {
          const id = f.path.slice(VAULT_PREFIX.length);
          if (!seen.has(id)) {
            seen.add(id);
            order.push(id);
          }
        }
        for (const [i, id] of order.entries()) {
          const target = join(dir, `IM${String(i + 1).padStart(5, '0')}.dcm`);
          const bytes = await this.readWhole(id);
          const partial = `${target}.partial`;
          try {
            await fsp.writeFile(partial, bytes, { flag: 'wx', mode: 0o600 });
            await fsp.link(partial, target);
            await fsp.rm(partial);
          } catch (err) {
            await fsp.rm(partial, { force: true }).catch(() => undefined);
            if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
              throw new PulmoLensError(
                'INVALID_INPUT',
                'export target already exists; choose an empty folder',
                {
                  path: target,
                },
              );
            }
            throw ioError(err, 'write an exported file', target);
          } finally {
            bytes.fill(0);
          }
          files++;
          this.touch();
        }
      }
      await this.audit!.append(k.audit, {
        event: 'study-exported',
        studyRef: study.ref,
        details: { series: list.map((s) => s.ref).join(','), files },
      });
      return { files, outDir: resolve(outDir) };
    });
  }

  // ---- keys ----------------------------------------------------------------------------------

  private async writeNewHeader(h: VaultHeader): Promise<void> {
    await writeHeader(this.dir, paths(this.dir).tmp, h);
    this.header = h;
  }

  /** Re-wraps the data key under a new passphrase (new salt); no data is re-encrypted. */
  changePassphrase(
    newPassphrase: string,
    opts: { kdf?: Partial<KdfCost>; allowWeakKdf?: boolean } = {},
  ): Promise<void> {
    return this.exclusive(async () => {
      const k = this.writable();
      const kdf = freshKdf(resolveCost(opts.kdf, opts.allowWeakKdf === true));
      const kek = await deriveKek(newPassphrase, kdf);
      const h: VaultHeader = {
        ...this.header,
        kdf,
        passphraseWrap: wrapWithKek(kek, this.dataKey!, this.vaultId, kdf),
      };
      wipe(kek);
      await this.writeNewHeader(h);
      await this.audit!.append(k.audit, {
        event: 'passphrase-changed',
        details: { kdfMemoryKiB: kdf.memoryKiB },
      });
    });
  }

  /**
   * Renews the key wrapping: new salt and nonce, optionally stronger Argon2id costs, and a fresh
   * OS keychain wrap when a protector is given. Requires the current passphrase.
   */
  rotateKeyWrapping(
    passphrase: string,
    opts: { kdf?: Partial<KdfCost>; allowWeakKdf?: boolean; protector?: OsKeyProtector } = {},
  ): Promise<void> {
    return this.exclusive(async () => {
      const k = this.writable();
      const oldKek = await deriveKek(passphrase, this.header.kdf);
      const check = unwrapWithKek(oldKek, this.header);
      wipe(oldKek);
      if (!check || !equalBytes(check, this.dataKey!)) {
        wipe(check ?? undefined);
        throw new PulmoLensError('VAULT_WRONG_PASSPHRASE', 'wrong passphrase for this vault', {
          path: this.dir,
        });
      }
      wipe(check);
      const current: KdfCost = {
        memoryKiB: this.header.kdf.memoryKiB,
        iterations: this.header.kdf.iterations,
        parallelism: this.header.kdf.parallelism,
      };
      const kdf = freshKdf(resolveCost({ ...current, ...(opts.kdf ?? {}) }, opts.allowWeakKdf === true));
      const kek = await deriveKek(passphrase, kdf);
      let osWrap = this.header.osWrap;
      if (osWrap && opts.protector) {
        const backend = assertUsableProtector(opts.protector, osWrap.acceptedWeakBackend);
        osWrap = {
          backend,
          blob: opts.protector.encrypt(this.dataKey!).toString('base64'),
          acceptedWeakBackend: osWrap.acceptedWeakBackend,
        };
      }
      const h: VaultHeader = {
        ...this.header,
        kdf,
        osWrap,
        passphraseWrap: wrapWithKek(kek, this.dataKey!, this.vaultId, kdf),
      };
      wipe(kek);
      await this.writeNewHeader(h);
      await this.audit!.append(k.audit, {
        event: 'key-wrapping-rotated',
        details: { kdfMemoryKiB: kdf.memoryKiB, kdfIterations: kdf.iterations, osWrap: osWrap !== null },
      });
    });
  }

  /** Adds unlock through the OS keychain; `basic_text` is refused unless explicitly accepted. */
  enableOsUnlock(protector: OsKeyProtector, opts: { acceptWeakBackend?: boolean } = {}): Promise<void> {
    return this.exclusive(async () => {
      const k = this.writable();
      const accept = opts.acceptWeakBackend === true;
      const backend = assertUsableProtector(protector, accept);
      const blob = protector.encrypt(this.dataKey!).toString('base64');
      await this.writeNewHeader({
        ...this.header,
        osWrap: { backend, blob, acceptedWeakBackend: accept && WEAK_BACKENDS.has(backend) },
      });
      await this.audit!.append(k.audit, { event: 'os-unlock-enabled', details: { backend } });
    });
  }

  disableOsUnlock(): Promise<void> {
    return this.exclusive(async () => {
      const k = this.writable();
      await this.writeNewHeader({ ...this.header, osWrap: null });
      await this.audit!.append(k.audit, { event: 'os-unlock-disabled' });
    });
  }

  // ---- verification --------------------------------------------------------------------------

  /** Checks every object chunk and the audit chain against what is on disk; writes nothing. */
  verify(opts: { onProgress?: TaskOptions['onProgress'] } = {}): Promise<VerifyReport> {
    return this.track(() => this.verifyNow(opts));
  }

  private async verifyNow(opts: { onProgress?: TaskOptions['onProgress'] }): Promise<VerifyReport> {
    const k = this.k();
    const problems: VaultProblem[] = [];
    const notes: string[] = [];
    let index: IndexDoc;
    try {
      index = await readIndex(this.dir, this.vaultId, k.index);
    } catch (err) {
      const e = err as PulmoLensError;
      problems.push({ code: 'INDEX_INCONSISTENT', message: e.message, objectId: 'index' });
      return {
        ok: false,
        problems,
        notes,
        objectsChecked: 0,
        chunksChecked: 0,
        bytesChecked: 0,
        auditEntries: 0,
      };
    }
    let objectsChecked = 0;
    let chunksChecked = 0;
    let bytesChecked = 0;
    const objects = Object.values(index.objects);
    for (const r of objects) {
      objectsChecked++;
      this.touch();
      opts.onProgress?.({ done: objectsChecked, total: objects.length, stage: 'verifying objects' });
      let key: Buffer;
      try {
        key = this.unwrapKey(k, r);
      } catch (err) {
        problems.push({
          code: 'OBJECT_KEY_INVALID',
          message: (err as Error).message,
          objectId: r.id,
          studyRef: r.studyRef,
        });
        continue;
      }
      let reader: ObjectReader | null = null;
      try {
        reader = await ObjectReader.open(
          objectPath(this.dir, r.id),
          { vaultId: this.vaultId, objectId: r.id, chunkBytes: r.chunkBytes },
          key,
          r.size,
        );
        for (let c = 0; c < reader.chunks; c++) {
          const pt = await reader.readChunk(c);
          bytesChecked += pt.length;
          pt.fill(0);
          chunksChecked++;
        }
      } catch (err) {
        const e = err as PulmoLensError;
        const missing = e.code === 'VAULT_CORRUPT' && /file is missing/.test(e.message);
        const chunk = (e.details?.chunk as number | null | undefined) ?? null;
        problems.push({
          code: missing ? 'OBJECT_MISSING' : 'OBJECT_CORRUPT',
          message: `${e.message}${r.studyRef ? ` [${r.kind} of study ${r.studyRef}]` : ` [${r.kind}]`}`,
          objectId: r.id,
          chunk,
          studyRef: r.studyRef,
        });
      } finally {
        await reader?.close();
        wipe(key);
      }
    }
    for (const s of index.studies) {
      for (const se of s.series) {
        for (const i of se.instances) {
          if (!index.objects[i.objectId]) {
            problems.push({
              code: 'INDEX_INCONSISTENT',
              message: `series ${se.ref} lists object ${i.objectId}, which the index does not hold`,
              objectId: i.objectId,
              studyRef: s.ref,
            });
          }
        }
      }
    }
    const stray = findOrphans(index);
    for (const v of stray) {
      if (v.action === 'remove') {
        problems.push({
          code: 'OBJECT_ORPHANED',
          message: `object ${v.id} is ${v.reason}; \`pulmolens vault gc\` (or verify --fix) removes it`,
          objectId: v.id,
        });
      }
    }
    const unattached = stray.filter((v) => v.action === 'reattach').length;
    if (unattached > 0) {
      notes.push(
        `${unattached} result objects stored without their study by an older version; \`vault gc\` re-attaches them`,
      );
    }
    const p = paths(this.dir);
    const onDisk = await fsp.readdir(p.objects).catch(() => [] as string[]);
    const orphans = onDisk.filter((n) => !(n.endsWith('.plo') && index.objects[n.slice(0, -4)]));
    if (orphans.length > 0)
      notes.push(`${orphans.length} unreferenced object files (interrupted write or delete)`);
    const temps = await fsp.readdir(p.tmp).catch(() => [] as string[]);
    if (temps.length > 0) notes.push(`${temps.length} temporary files of an interrupted write`);

    const audit = await readAuditLog(this.dir, this.vaultId, k.audit);
    for (const a of audit.problems)
      problems.push({ code: 'AUDIT_BROKEN', message: a.message, auditSeq: a.seq });
    notes.push(...audit.notes);
    return {
      ok: problems.length === 0,
      problems,
      notes,
      objectsChecked,
      chunksChecked,
      bytesChecked,
      auditEntries: audit.entries.length,
    };
  }
}

function totalBytes(recs: ObjectRecord[]): number {
  return recs.reduce((a, r) => a + r.size, 0);
}
