/**
 * Objects whose owner is gone. Results (analysis, review, report, cache) belong to a study and a
 * series and go with them; DICOM instances belong to the series that lists them; only `other`
 * objects may belong to the vault as a whole. Versions before this rule stored analyses and reviews
 * without a study: those whose series is still in the vault are re-attached, not removed.
 */
import type { IndexDoc, ObjectKind, ObjectRecord, SeriesRecord, StudyRecord } from './index-file';
import { seriesKeyOfObjectName } from './object-names';

/** Kinds that must name their study (and series): deleting the study deletes them. */
export const STUDY_OWNED_KINDS: ReadonlySet<ObjectKind> = new Set<ObjectKind>([
  'analysis',
  'review',
  'report',
  'volume-cache',
]);

export type OrphanVerdict =
  | { id: string; kind: ObjectKind; action: 'remove'; reason: string }
  | { id: string; kind: ObjectKind; action: 'reattach'; studyRef: string; seriesRef: string };

function seriesByKey(index: IndexDoc, key: string): { study: StudyRecord; series: SeriesRecord } | null {
  for (const study of index.studies) {
    const series = study.series.find(
      (r) => r.key === key || r.ref === key || r.metadata.seriesInstanceUid === key,
    );
    if (series) return { study, series };
  }
  return null;
}

function verdict(index: IndexDoc, o: ObjectRecord, listed: Set<string>): OrphanVerdict | null {
  if (o.kind === 'dicom') {
    return listed.has(o.id)
      ? null
      : { id: o.id, kind: o.kind, action: 'remove', reason: 'a DICOM instance no series lists' };
  }
  if (o.studyRef === null) {
    if (!STUDY_OWNED_KINDS.has(o.kind)) return null;
    const key = seriesKeyOfObjectName(o.name);
    const home = key === null ? null : seriesByKey(index, key);
    return home
      ? { id: o.id, kind: o.kind, action: 'reattach', studyRef: home.study.ref, seriesRef: home.series.ref }
      : {
          id: o.id,
          kind: o.kind,
          action: 'remove',
          reason: `a ${o.kind} stored without a study whose series is gone`,
        };
  }
  const study = index.studies.find((s) => s.ref === o.studyRef);
  if (!study)
    return { id: o.id, kind: o.kind, action: 'remove', reason: `a ${o.kind} of deleted study ${o.studyRef}` };
  if (o.seriesRef !== null && !study.series.some((r) => r.ref === o.seriesRef)) {
    return {
      id: o.id,
      kind: o.kind,
      action: 'remove',
      reason: `a ${o.kind} of deleted series ${o.seriesRef}`,
    };
  }
  return null;
}

/** Every object that is not where the rules above say it belongs, with what to do about it. */
export function findOrphans(index: IndexDoc): OrphanVerdict[] {
  const listed = new Set<string>();
  for (const s of index.studies)
    for (const r of s.series) for (const i of r.instances) listed.add(i.objectId);
  const out: OrphanVerdict[] = [];
  for (const o of Object.values(index.objects)) {
    const v = verdict(index, o, listed);
    if (v) out.push(v);
  }
  return out;
}
