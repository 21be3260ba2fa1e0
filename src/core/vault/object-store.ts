/**
 * Encrypted objects: one file per object under objects/, each with its own random key wrapped in
 * the index. Reading decrypts only what is asked for; writing goes through tmp/ and an index
 * commit, so an object is either named by the index or removed at the next unlock.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { PulmoLensError } from '../../common/errors';
import type { SlotRead } from '../dicom/decode-protocol';
import { aad, open, randomId, randomKey, seal, wipe } from './crypto';
import { fsyncDir } from './atomic-fs';
import { ObjectReader, writeObjectFile, type ObjectSource } from './object-file';
import { objectWriterPool } from './object-writer-pool';
import type { WriteObjectJob, WriteObjectReply } from './object-writer-protocol';
import { writeIndex, type IndexDoc, type ObjectKind, type ObjectRecord } from './index-file';
import type { AuditEvent } from './audit-log';
import { STUDY_OWNED_KINDS } from './orphans';
import { findSeries, requireStudy } from './catalogue';
import type { Keys, VaultSessionState } from './session';

export const VAULT_PREFIX = 'vault:';

export type StoredObject = Omit<ObjectRecord, 'wrappedKey'>;

export function paths(dir: string) {
  return { objects: join(dir, 'objects'), tmp: join(dir, 'tmp') };
}

export function objectPath(dir: string, id: string): string {
  return join(dir, 'objects', `${id}.plo`);
}

export function now(): string {
  return new Date().toISOString();
}

function wrapObjectKey(wrapKey: Buffer, vaultId: string, objectId: string, key: Buffer): string {
  return seal(wrapKey, key, aad('PLV/object-key', vaultId, objectId)).toString('base64');
}

export function totalBytes(recs: ObjectRecord[]): number {
  return recs.reduce((a, r) => a + r.size, 0);
}

export function record(state: VaultSessionState, objectId: string): ObjectRecord {
  const id = objectId.startsWith(VAULT_PREFIX) ? objectId.slice(VAULT_PREFIX.length) : objectId;
  const r = state.index.objects[id];
  if (!r) throw new PulmoLensError('NOT_FOUND', `no object ${id} in the vault`, { path: state.dir });
  return r;
}

export function unwrapKey(state: VaultSessionState, k: Keys, r: ObjectRecord): Buffer {
  const key = open(
    k.objectWrap,
    Buffer.from(r.wrappedKey, 'base64'),
    aad('PLV/object-key', state.vaultId, r.id),
  );
  if (!key) {
    throw new PulmoLensError('VAULT_CORRUPT', `object ${r.id}: its wrapped key fails authentication`, {
      path: objectPath(state.dir, r.id),
      details: { objectId: r.id, chunk: null },
    });
  }
  return key;
}

/** Opens one object for random access; the caller closes it. */
export async function openObject(state: VaultSessionState, objectId: string): Promise<ObjectReader> {
  const k = state.k();
  const r = record(state, objectId);
  const key = unwrapKey(state, k, r);
  try {
    return await ObjectReader.open(
      objectPath(state.dir, r.id),
      { vaultId: state.vaultId, objectId: r.id, chunkBytes: r.chunkBytes },
      key,
      r.size,
    );
  } catch (err) {
    wipe(key);
    throw err;
  }
}

export function getObject(state: VaultSessionState, objectId: string): Promise<Buffer> {
  return state.track(() => readWhole(state, objectId));
}

/** Untracked, for use inside operations that are already tracked (export). */
export async function readWhole(state: VaultSessionState, objectId: string): Promise<Buffer> {
  const reader = await openObject(state, objectId);
  try {
    return await reader.readAll();
  } finally {
    await reader.close();
  }
}

/** Decrypts only the chunks that hold [offset, offset + length). */
export function readObjectRange(
  state: VaultSessionState,
  objectId: string,
  offset: number,
  length: number,
): Promise<Buffer> {
  return state.track(async () => {
    const reader = await openObject(state, objectId);
    try {
      return await reader.readRange(offset, length);
    } finally {
      await reader.close();
    }
  });
}

/**
 * What a decode worker needs to decipher one object itself: its file, coordinates and its own
 * key (unwrapped here; the vault's keys stay in this thread). The caller wipes the key once handed.
 */
export function objectSlotRead(state: VaultSessionState, objectId: string): SlotRead {
  const k = state.k();
  const r = record(state, objectId);
  return {
    kind: 'vault-object',
    file: objectPath(state.dir, r.id),
    vaultId: state.vaultId,
    objectId: r.id,
    chunkBytes: r.chunkBytes,
    size: r.size,
    key: unwrapKey(state, k, r),
  };
}

/** Decrypts [offset, offset + target.length) straight into `target`. */
export function readObjectRangeInto(
  state: VaultSessionState,
  objectId: string,
  offset: number,
  target: Uint8Array,
): Promise<void> {
  return state.track(async () => {
    const reader = await openObject(state, objectId);
    try {
      await reader.readRangeInto(offset, target);
    } finally {
      await reader.close();
    }
  });
}

export async function getJson<T = unknown>(state: VaultSessionState, objectId: string): Promise<T> {
  const b = await getObject(state, objectId);
  return JSON.parse(b.toString('utf8')) as T;
}

/**
 * The bytes of one DICOM instance: by `vault:<objectId>` (a frame path of a stored series),
 * by object id, or by SOPInstanceUID within `seriesRef`. One slice, nothing else decrypted.
 */
export async function readInstance(
  state: VaultSessionState,
  seriesRefOrPath: string,
  sopInstanceUid?: string,
): Promise<Buffer> {
  state.k();
  if (sopInstanceUid === undefined) return getObject(state, seriesRefOrPath);
  const hit = findSeries(state, seriesRefOrPath);
  if (!hit)
    throw new PulmoLensError('NOT_FOUND', `no series "${seriesRefOrPath}" in the vault`, {
      path: state.dir,
    });
  const inst = hit.series.instances.find((i) => i.sopInstanceUid === sopInstanceUid);
  if (!inst) {
    throw new PulmoLensError('NOT_FOUND', `no instance ${sopInstanceUid} in series ${hit.series.ref}`, {
      path: state.dir,
    });
  }
  return getObject(state, inst.objectId);
}

export async function commit(state: VaultSessionState, mutate: (next: IndexDoc) => void): Promise<void> {
  const k = state.writable();
  const next = structuredClone(state.index);
  mutate(next);
  next.generation = state.index.generation + 1;
  await writeIndex(state.dir, paths(state.dir).tmp, state.vaultId, k.index, next);
  state.index = next;
}

export async function writeObject(
  state: VaultSessionState,
  k: Keys,
  source: ObjectSource,
  meta: { kind: ObjectKind; studyRef: string | null; seriesRef: string | null; name: string },
  scratch?: Buffer,
  /** Encrypt a file source on one of this many object-writer workers (0 or absent: here). */
  workers = 0,
): Promise<ObjectRecord> {
  const id = randomId();
  const key = randomKey();
  try {
    const tmpDir = paths(state.dir).tmp;
    const finalPath = objectPath(state.dir, id);
    const coords = { vaultId: state.vaultId, objectId: id, chunkBytes: state.header.chunkBytes };
    let size: number | null = null;
    if (workers > 0 && 'path' in source) {
      size = await writeInWorker(workers, { tmpDir, finalPath, coords, key, sourcePath: source.path });
    }
    size ??= await writeObjectFile(tmpDir, finalPath, coords, key, source, scratch);
    return {
      id,
      ...meta,
      size,
      chunkBytes: state.header.chunkBytes,
      wrappedKey: wrapObjectKey(k.objectWrap, state.vaultId, id, key),
      createdAt: now(),
    };
  } finally {
    wipe(key);
  }
}

/**
 * Encrypts on an object-writer worker; null when the worker stopped (the caller then writes here:
 * the worker's temporary file, if any, is removed at the next unlock).
 */
async function writeInWorker(workers: number, job: Omit<WriteObjectJob, 'id'>): Promise<number | null> {
  let reply: WriteObjectReply;
  try {
    reply = await objectWriterPool.run(workers, job);
  } catch {
    return null;
  }
  const r = reply.result;
  if ('size' in r) return r.size;
  throw new PulmoLensError(r.code, r.message, {
    ...(r.path ? { path: r.path } : {}),
    ...(r.details ? { details: r.details } : {}),
  });
}

export async function discard(state: VaultSessionState, ids: string[]): Promise<void> {
  for (const id of ids) await fsp.rm(objectPath(state.dir, id), { force: true }).catch(() => undefined);
}

export interface PutObjectOptions {
  name?: string;
  seriesRef?: string;
  /** The audit entry to write instead of the kind's own (e.g. a corrected analysis is not a new one). */
  audit?: { event: AuditEvent; details: Record<string, string | number | boolean> };
}

/**
 * Stores a result, review decision, report or cache for a study and series (only `other`
 * objects may belong to the vault as a whole: studyRef null). Deleting the study deletes them.
 * Objects are immutable: a new version is a new object.
 */
export function putObject(
  state: VaultSessionState,
  studyRef: string | null,
  kind: ObjectKind,
  data: Buffer | string | object | { path: string },
  opts: PutObjectOptions = {},
): Promise<StoredObject> {
  return state.exclusive(async () => {
    const k = state.writable();
    const study = studyRef === null ? null : requireStudy(state, studyRef);
    if (!study && STUDY_OWNED_KINDS.has(kind)) {
      throw new PulmoLensError('INVALID_INPUT', `a ${kind} object belongs to a study: name its study`);
    }
    if (opts.seriesRef !== undefined && !study?.series.some((r) => r.ref === opts.seriesRef)) {
      throw new PulmoLensError(
        'NOT_FOUND',
        `no series ${opts.seriesRef} in study ${study?.ref ?? '(none)'}`,
        {
          path: state.dir,
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
    const rec = await writeObject(state, k, source, {
      kind,
      studyRef: study?.ref ?? null,
      seriesRef: opts.seriesRef ?? null,
      name: opts.name ?? '',
    });
    try {
      await fsyncDir(paths(state.dir).objects);
      await commit(state, (doc) => {
        doc.objects[rec.id] = rec;
      });
    } catch (err) {
      await discard(state, [rec.id]);
      throw err;
    }
    const event: AuditEvent | null = opts.audit
      ? opts.audit.event
      : kind === 'analysis'
        ? 'study-analysed'
        : kind === 'review'
          ? 'review-saved'
          : kind === 'report'
            ? 'report-saved'
            : kind === 'volume-cache'
              ? null
              : 'object-stored';
    if (event) {
      await state.audit!.append(k.audit, {
        event,
        ...(study ? { studyRef: study.ref } : {}),
        ...(rec.seriesRef ? { seriesRef: rec.seriesRef } : {}),
        details: { ...opts.audit?.details, objectId: rec.id, kind },
      });
    }
    const { wrappedKey: _w, ...out } = rec;
    return out;
  });
}
