/**
 * LUNA16's list of evaluated scans (`seriesuids.csv`: one SeriesInstanceUID a line, no header; a
 * `seriesuid` header and further CSV columns are tolerated). Restricts an evaluation to those scans.
 */
import { PulmoLensError } from '../../common/errors';
import type { TextSource } from './luna16-csv';

/** What a series UID may look like here: it names files (findings/<uid>.json). */
export const SERIES_UID_PATTERN = /^[0-9A-Za-z][0-9A-Za-z._#-]*$/;

export function readSeriesUidList(src: TextSource): string[] {
  const uids: string[] = [];
  const seen = new Set<string>();
  const lines = src.text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const uid = (raw.split(',')[0] ?? '').trim().replace(/^"(.*)"$/, '$1');
    if (uid === '' || (uids.length === 0 && uid.toLowerCase() === 'seriesuid')) return;
    if (!SERIES_UID_PATTERN.test(uid)) {
      throw new PulmoLensError(
        'ANNOTATIONS_INVALID',
        `line ${i + 1}: not a series UID (${JSON.stringify(uid)})`,
        {
          path: src.path,
          details: { line: i + 1 },
        },
      );
    }
    if (!seen.has(uid)) uids.push(uid);
    seen.add(uid);
  });
  if (uids.length === 0) {
    throw new PulmoLensError('ANNOTATIONS_INVALID', 'the series list names no series', { path: src.path });
  }
  return uids;
}
