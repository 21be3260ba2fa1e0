import { PulmoLensError } from '../../common/errors';
import type { UnlockedVault } from './vault';

/**
 * The vault series a command-line reference names: a series (vault ref, key or
 * SeriesInstanceUID), an analysis object id (its series), or a study (vault ref or
 * StudyInstanceUID: its CT series with most files).
 */
export function resolveVaultSeries(v: UnlockedVault, ref: string): string {
  const analysis = v.listObjects({ kind: 'analysis' }).find((o) => o.id === ref && o.seriesRef);
  if (analysis?.seriesRef) return analysis.seriesRef;
  const study = v
    .listStudies()
    .find(
      (s) =>
        s.ref === ref ||
        s.studyInstanceUid === ref ||
        s.series.some((r) => r.ref === ref || r.key === ref || r.seriesInstanceUid === ref),
    );
  if (!study)
    throw new PulmoLensError('NOT_FOUND', `no study, series or analysis "${ref}" in the vault`, {
      path: v.dir,
    });
  const direct = study.series.find((r) => r.ref === ref || r.key === ref || r.seriesInstanceUid === ref);
  if (direct) return direct.ref;
  const cts = study.series.filter((r) => r.modality === 'CT' || r.modality === '');
  const best = [...(cts.length ? cts : study.series)].sort((a, b) => b.instances - a.instances)[0];
  if (!best)
    throw new PulmoLensError('DICOM_NO_IMAGE', `study ${study.ref} holds no series`, { path: v.dir });
  return best.ref;
}
