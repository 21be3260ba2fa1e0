/** Deleting from the vault: one object, a whole study (cascading), and objects left orphaned. */
import { PulmoLensError } from '../../common/errors';
import { fsyncDir } from './atomic-fs';
import { findOrphans } from './orphans';
import { requireStudy } from './catalogue';
import { commit, discard, paths, record } from './object-store';
import type { VaultSessionState } from './session';

export function deleteObject(state: VaultSessionState, objectId: string): Promise<void> {
  return state.exclusive(async () => {
    const k = state.writable();
    const r = record(state, objectId);
    if (r.kind === 'dicom') {
      throw new PulmoLensError('INVALID_INPUT', 'DICOM instances are removed with their study (deleteStudy)');
    }
    await commit(state, (doc) => {
      delete doc.objects[r.id];
    });
    await discard(state, [r.id]);
    await fsyncDir(paths(state.dir).objects);
    await state.audit!.append(k.audit, {
      event: 'object-deleted',
      ...(r.studyRef ? { studyRef: r.studyRef } : {}),
      ...(r.seriesRef ? { seriesRef: r.seriesRef } : {}),
      details: { objectId: r.id, kind: r.kind },
    });
  });
}

/**
 * Removes a study: the index entry (and with it every wrapped per-object key) goes first in one
 * atomic step, then the object files. A crash in between leaves unreachable files that the
 * next unlock removes.
 */
export function deleteStudy(state: VaultSessionState, ref: string): Promise<{ objects: number }> {
  return state.exclusive(async () => {
    const k = state.writable();
    const study = requireStudy(state, ref);
    const seriesRefs = new Set(study.series.map((r) => r.ref));
    const ids = Object.values(state.index.objects)
      .filter((o) => o.studyRef === study.ref || (o.seriesRef !== null && seriesRefs.has(o.seriesRef)))
      .map((o) => o.id);
    await commit(state, (doc) => {
      doc.studies = doc.studies.filter((s) => s.ref !== study.ref);
      for (const id of ids) delete doc.objects[id];
    });
    await discard(state, ids);
    await fsyncDir(paths(state.dir).objects);
    await state.audit!.append(k.audit, {
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
export function collectOrphans(state: VaultSessionState): Promise<{ removed: number; reattached: number }> {
  return state.exclusive(async () => {
    const k = state.writable();
    const verdicts = findOrphans(state.index);
    const removed = verdicts.filter((v) => v.action === 'remove').map((v) => v.id);
    const reattached = verdicts.length - removed.length;
    if (verdicts.length === 0) return { removed: 0, reattached: 0 };
    await commit(state, (doc) => {
      for (const v of verdicts) {
        if (v.action === 'remove') delete doc.objects[v.id];
        else doc.objects[v.id] = { ...doc.objects[v.id]!, studyRef: v.studyRef, seriesRef: v.seriesRef };
      }
    });
    await discard(state, removed);
    await fsyncDir(paths(state.dir).objects);
    await state.audit!.append(k.audit, {
      event: 'orphans-removed',
      details: { removed: removed.length, reattached },
    });
    return { removed: removed.length, reattached };
  });
}
