/**
 * Names of the per-series objects the reading workflow stores (inside the encrypted index only).
 * The series key in the name lets garbage collection re-attach objects that versions before
 * studies owned their results stored without a study.
 */
export type SeriesObjectPart = 'findings' | 'heatmap' | 'review';

export function seriesObjectName(part: SeriesObjectPart, seriesKey: string): string {
  switch (part) {
    case 'findings':
      return `analysis/${seriesKey}/findings.json`;
    case 'heatmap':
      return `analysis/${seriesKey}/heatmap.u8`;
    case 'review':
      return `review/${seriesKey}/review.json`;
  }
}

/** The series key named by a per-series object name, or null for any other name. */
export function seriesKeyOfObjectName(name: string): string | null {
  const m = /^(?:analysis|review)\/(.+)\/(?:findings\.json|heatmap\.u8|review\.json)$/.exec(name);
  return m ? m[1]! : null;
}
