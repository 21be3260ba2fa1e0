/** DICOM in and out of the vault: a scanned series imported as encrypted objects, a study exported. */
import { join, resolve } from 'node:path';
import { PulmoLensError } from '../../common/errors';
import type { FrameRef, ScannedSeries, TaskOptions } from '../dicom/types';
import { randomId } from './crypto';
import { objectScratchBytes } from './object-file';
import { fsyncDir } from './atomic-fs';
import type { InstanceRecord, ObjectRecord, SeriesRecord } from './index-file';
import { findSeries, requireStudy } from './catalogue';
import { OutputWriter, type OutputChoice } from '../io/safe-writer';
import {
  commit,
  discard,
  now,
  paths,
  readWhole,
  totalBytes,
  VAULT_PREFIX,
  writeObject,
} from './object-store';
import type { VaultSessionState } from './session';
import { defaultWorkerCount } from '../workers/worker-pool';

const IMPORT_CONCURRENCY = 4;

/** How `importSeries` reads the series' files. */
export interface ImportOptions extends TaskOptions {
  /**
   * Files already in memory, keyed by their frame paths in the scanned series (instances
   * received over the network: they are encrypted from memory, never written plainly to disk).
   */
  files?: ReadonlyMap<string, Uint8Array>;
  /** "AET@host" of the DICOM peer that sent the series */
  receivedFrom?: string;
  /**
   * Object-writer workers that encrypt files while reading them (default: one per core; 0: all
   * on this thread). Instances in memory are always encrypted on this thread.
   */
  workers?: number;
}

export interface ImportResult {
  studyRef: string;
  seriesRef: string;
  instances: number;
  bytes: number;
  alreadyPresent: boolean;
}

/**
 * Copies every file of a scanned series into the vault as encrypted objects and records the
 * study and series in the index in one atomic step: after a crash the series is either fully
 * present or absent. The original files are only read.
 */
export function importSeries(
  state: VaultSessionState,
  scanned: ScannedSeries,
  opts: ImportOptions = {},
): Promise<ImportResult> {
  return state.exclusive(async () => {
    const k = state.writable();
    const md = scanned.metadata;
    const existingStudy = state.index.studies.find(
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
    const workers = opts.workers ?? defaultWorkerCount();
    const scratches: Buffer[] = [];
    // The first failure stops every worker; cleanup waits until none is still writing.
    let failure: unknown = null;
    const worker = async () => {
      // One read and cipher buffer per worker, reused for every file and wiped at the end.
      const scratch = Buffer.allocUnsafe(objectScratchBytes(state.header.chunkBytes));
      scratches.push(scratch);
      while (next < files.length && failure === null) {
        if (opts.signal?.aborted) {
          failure ??= new PulmoLensError('CANCELLED', 'import cancelled');
          break;
        }
        const i = next++;
        try {
          const inMemory = opts.files?.get(files[i]!.path);
          const rec = await writeObject(
            state,
            k,
            inMemory
              ? { bytes: Buffer.from(inMemory.buffer, inMemory.byteOffset, inMemory.length) }
              : { path: files[i]!.path },
            { kind: 'dicom', studyRef, seriesRef, name: '' },
            scratch,
            workers,
          );
          written[i] = rec;
          writtenIds.push(rec.id);
        } catch (err) {
          failure ??= err;
          break;
        }
        done++;
        state.touch();
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
      await fsyncDir(paths(state.dir).objects);
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
        ...(opts.receivedFrom ? { receivedFrom: opts.receivedFrom } : {}),
      };
      opts.onProgress?.({ done, total, stage: 'committing' });
      await commit(state, (doc) => {
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
      await discard(state, writtenIds);
      throw err;
    }
    const bytes = totalBytes(written);
    await state.audit!.append(k.audit, {
      event: 'study-imported',
      studyRef,
      seriesRef,
      details: { seriesRef, instances: files.length, bytes },
    });
    return { studyRef, seriesRef, instances: files.length, bytes, alreadyPresent: false };
  });
}

/**
 * Writes decrypted DICOM files of a study (every series in its own folder) or of one series into
 * `outDir`, which the user chose. Refuses, before writing anything, when a file of the same name is
 * there, unless the user chose to overwrite; other files there are never touched. Audit-logged.
 */
export function exportSeries(
  state: VaultSessionState,
  ref: string,
  outDir: string,
  choice: OutputChoice = {},
): Promise<{ files: number; outDir: string }> {
  return state.exclusive(async () => {
    const k = state.writable();
    const one = findSeries(state, ref);
    const study = one?.study ?? requireStudy(state, ref);
    const list = one ? [one.series] : study.series;
    // Files in slice order, named by position only (no UIDs or names in file names).
    const plan: { target: string; id: string }[] = [];
    for (const [si, series] of list.entries()) {
      const dir = one
        ? outDir
        : join(outDir, `series-${String(series.metadata.seriesNumber ?? si + 1).padStart(3, '0')}`);
      const seen = new Set<string>();
      for (const f of series.scanned.frames) {
        const id = f.path.slice(VAULT_PREFIX.length);
        if (seen.has(id)) continue;
        seen.add(id);
        plan.push({ target: join(dir, `IM${String(seen.size).padStart(5, '0')}.dcm`), id });
      }
    }
    const writer = new OutputWriter({ ...choice, fileMode: 0o600 });
    await writer.checkFree(plan.map((p) => p.target));
    for (const { target, id } of plan) {
      const bytes = await readWhole(state, id);
      try {
        await writer.writeFile(target, bytes);
      } finally {
        bytes.fill(0);
      }
      state.touch();
    }
    await state.audit!.append(k.audit, {
      event: 'study-exported',
      studyRef: study.ref,
      details: { series: list.map((s) => s.ref).join(','), files: plan.length },
    });
    return { files: plan.length, outDir: resolve(outDir) };
  });
}
