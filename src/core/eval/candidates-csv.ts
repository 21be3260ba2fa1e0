/** candidates.csv: every candidate with what it matched, so a researcher can audit each decision. */
import type { ScanMatch } from '../../common/eval';

const HEADER =
  'seriesuid,candidateId,coordX,coordY,coordZ,probability,match,reason,markId,distanceMm,aboveThreshold';

function field(v: string): string {
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function candidatesCsv(matches: readonly ScanMatch[], threshold: number | null): string {
  const lines = [HEADER];
  for (const m of matches) {
    for (const { candidate: c, match } of m.candidates) {
      const [x, y, z] = c.centerLps;
      const above = threshold !== null && c.probability >= threshold ? '1' : '0';
      const where =
        match.kind === 'TP'
          ? ['TP', 'hit', match.noduleIds.join(';'), match.distanceMm.toFixed(3)]
          : match.kind === 'ignored'
            ? ['ignored', match.reason, match.markId, match.distanceMm.toFixed(3)]
            : ['FP', '', '', ''];
      const row = [
        m.seriesInstanceUid,
        c.id,
        String(x),
        String(y),
        String(z),
        String(c.probability),
        ...where,
        above,
      ];
      lines.push(row.map(field).join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}
