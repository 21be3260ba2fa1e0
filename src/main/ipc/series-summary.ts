import type { ScannedSeries } from '../../core/dicom';
import type { ScannedSeriesSummary } from '../../shared/series';

/** What the renderer's study browser needs of a scanned series. */
export function summarize(s: ScannedSeries): ScannedSeriesSummary {
  return {
    key: s.key,
    metadata: s.metadata,
    rows: s.rows,
    columns: s.columns,
    sliceCount: s.frames.length,
    spacingMm: s.spacingMm,
    transferSyntaxes: s.transferSyntaxes,
    warnings: s.warnings,
  };
}
