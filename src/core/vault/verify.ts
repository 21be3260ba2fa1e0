/** `vault verify`: every object chunk, the index's references and the audit chain, checked read-only. */
import { promises as fsp } from 'node:fs';
import type { PulmoLensError } from '../../common/errors';
import type { TaskOptions } from '../dicom/types';
import { wipe } from './crypto';
import { ObjectReader } from './object-file';
import { readIndex, type IndexDoc } from './index-file';
import { readAuditLog } from './audit-log';
import { findOrphans } from './orphans';
import { objectPath, paths, unwrapKey } from './object-store';
import type { VaultSessionState } from './session';

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

/** Checks every object chunk and the audit chain against what is on disk; writes nothing. */
export function verify(
  state: VaultSessionState,
  opts: { onProgress?: TaskOptions['onProgress'] } = {},
): Promise<VerifyReport> {
  return state.track(() => verifyNow(state, opts));
}

async function verifyNow(
  state: VaultSessionState,
  opts: { onProgress?: TaskOptions['onProgress'] },
): Promise<VerifyReport> {
  const k = state.k();
  const problems: VaultProblem[] = [];
  const notes: string[] = [];
  let index: IndexDoc;
  try {
    index = await readIndex(state.dir, state.vaultId, k.index);
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
    state.touch();
    opts.onProgress?.({ done: objectsChecked, total: objects.length, stage: 'verifying objects' });
    let key: Buffer;
    try {
      key = unwrapKey(state, k, r);
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
        objectPath(state.dir, r.id),
        { vaultId: state.vaultId, objectId: r.id, chunkBytes: r.chunkBytes },
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
  const p = paths(state.dir);
  const onDisk = await fsp.readdir(p.objects).catch(() => [] as string[]);
  const orphans = onDisk.filter((n) => !(n.endsWith('.plo') && index.objects[n.slice(0, -4)]));
  if (orphans.length > 0)
    notes.push(`${orphans.length} unreferenced object files (interrupted write or delete)`);
  const temps = await fsp.readdir(p.tmp).catch(() => [] as string[]);
  if (temps.length > 0) notes.push(`${temps.length} temporary files of an interrupted write`);

  const audit = await readAuditLog(state.dir, state.vaultId, k.audit);
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
