/**
 * How the reference files and the studies on disk cover each other. LUNA16's files describe 888
 * scans and a site holds a few of them, so annotated series without a study are normal (counted,
 * not an error); a study without any annotation row is nodule-free by the LUNA16 convention, and is
 * listed so that a wrong folder is noticed. Derived from sets kept in run.json, so shards merge.
 */
import type { ReferenceCoverage } from '../../common/eval';
import { sortedUnique } from './shard';

export interface CoverageSets {
  /** Every series any reference file (annotations, excluded marks, LIDC XML) names. */
  annotatedSeries: readonly string[];
  /** Every CT series found among the studies, before the series list is applied. */
  foundSeries: readonly string[];
  /** The series list (--seriesuids), or null when every study found is evaluated. */
  listedSeries: readonly string[] | null;
}

export function referenceCoverage(sets: CoverageSets, evaluatedSeries: readonly string[]): ReferenceCoverage {
  const found = new Set(sets.foundSeries);
  const annotated = new Set(sets.annotatedSeries);
  const listed = sets.listedSeries ? new Set(sets.listedSeries) : null;
  return {
    annotatedSeriesNotFound: [...annotated].filter((u) => !found.has(u)).length,
    seriesWithoutAnnotations: sortedUnique(evaluatedSeries.filter((u) => !annotated.has(u))),
    seriesList: listed
      ? {
          listed: listed.size,
          notFound: [...listed].filter((u) => !found.has(u)).length,
          studiesNotListed: [...found].filter((u) => !listed.has(u)).length,
        }
      : null,
  };
}

/** Console lines a researcher needs to notice a wrong folder or list (empty when all is as expected). */
export function coverageLines(c: ReferenceCoverage, scored: number): string[] {
  const lines: string[] = [];
  const n = (k: number, one: string, many: string): string => `${k} ${k === 1 ? one : many}`;
  if (c.seriesList) {
    if (c.seriesList.studiesNotListed > 0) {
      lines.push(
        `${n(c.seriesList.studiesNotListed, 'study is', 'studies are')} not in the series list and ${c.seriesList.studiesNotListed === 1 ? 'was' : 'were'} left out`,
      );
    }
    if (c.seriesList.notFound > 0) {
      lines.push(
        `${n(c.seriesList.notFound, 'listed series is', 'listed series are')} not among the studies`,
      );
    }
  }
  if (c.annotatedSeriesNotFound > 0) {
    lines.push(
      `${n(c.annotatedSeriesNotFound, 'annotated series is', 'annotated series are')} not among the studies ` +
        `(scored the ${scored} present; --strict makes this an error)`,
    );
  }
  const free = c.seriesWithoutAnnotations;
  if (free.length > 0) {
    const shown = free.slice(0, 10).join(', ');
    const more = free.length > 10 ? `, and ${free.length - 10} more (metrics.json lists all)` : '';
    lines.push(
      `${n(free.length, 'study has', 'studies have')} no annotation row (counted as nodule-free): ${shown}${more}`,
    );
  }
  return lines;
}
