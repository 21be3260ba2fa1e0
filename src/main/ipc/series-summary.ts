import type { ScannedSeries } from '../../core/dicom';
import type { SeriesSummary } from '../../shared/ipc-contract';

/** What the renderer's study browser needs of a scanned series (no file paths, no pixels). */
export function summarize(s: ScannedSeries): SeriesSummary {
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
