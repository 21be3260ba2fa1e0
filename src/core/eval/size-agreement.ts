/**
 * Size agreement for every hit at the primary operating threshold: the app's measured diameter and
 * volume against the reference (LUNA16's diameter; with LIDC XML, the mean of the readers'
 * contour-derived diameters and volumes, and their spread). Bland–Altman: mean difference
 * (measured − reference) and 95% limits of agreement (mean ± 1.96 SD).
 */
import type { Agreement, ScanMatch, ScanRecord, SizeAgreement, SizePair } from '../../common/eval';

export function agreementOf(measured: readonly number[], reference: readonly number[]): Agreement | null {
  const n = measured.length;
  if (n === 0) return null;
  const d = measured.map((m, i) => m - (reference[i] as number));
  const mean = d.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : null;
  return {
    n,
    meanDifference: mean,
    sdDifference: sd,
    limitsOfAgreement: sd === null ? null : [mean - 1.96 * sd, mean + 1.96 * sd],
    meanAbsoluteDifference: d.reduce((a, b) => a + Math.abs(b), 0) / n,
  };
}

function sd(values: readonly number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return values.length > 1
    ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1))
    : 0;
}

export function computeSizeAgreement(
  records: readonly ScanRecord[],
  matches: readonly ScanMatch[],
  threshold: number | null,
): SizeAgreement {
  const pairs: SizePair[] = [];
  matches.forEach((m, s) => {
    const candidates = new Map((records[s]?.candidates ?? []).map((c) => [c.id, c]));
    for (const o of m.nodules) {
      if (o.candidateId === null || o.detectedProbability === null) continue;
      if (threshold === null || o.detectedProbability < threshold) continue;
      const c = candidates.get(o.candidateId);
      if (c?.diameterMm === undefined) continue;
      const readers = o.nodule.readers?.length ? o.nodule.readers : null;
      pairs.push({
        seriesInstanceUid: m.seriesInstanceUid,
        noduleId: o.nodule.id,
        candidateId: c.id,
        referenceDiameterMm: o.nodule.diameterMm,
        measuredDiameterMm: c.diameterMm,
        referenceVolumeMm3: readers ? readers.reduce((a, r) => a + r.volumeMm3, 0) / readers.length : null,
        measuredVolumeMm3: c.volumeMm3 ?? null,
        readerDiametersMm: readers ? readers.map((r) => r.diameterMm) : null,
      });
    }
  });
  const vol = pairs.filter((p) => p.referenceVolumeMm3 !== null && p.measuredVolumeMm3 !== null);
  const withReaders = pairs.filter((p) => p.readerDiametersMm !== null && p.readerDiametersMm.length > 0);
  return {
    threshold,
    pairs,
    diameterMm: agreementOf(
      pairs.map((p) => p.measuredDiameterMm),
      pairs.map((p) => p.referenceDiameterMm),
    ),
    volumeMm3: agreementOf(
      vol.map((p) => p.measuredVolumeMm3 as number),
      vol.map((p) => p.referenceVolumeMm3 as number),
    ),
    readers:
      withReaders.length === 0
        ? null
        : {
            nodules: withReaders.length,
            meanReaderSdDiameterMm:
              withReaders.reduce((a, p) => a + sd(p.readerDiametersMm as number[]), 0) / withReaders.length,
            measuredWithinReaderRange: withReaders.filter((p) => {
              const r = p.readerDiametersMm as number[];
              return p.measuredDiameterMm >= Math.min(...r) && p.measuredDiameterMm <= Math.max(...r);
            }).length,
          },
  };
}
