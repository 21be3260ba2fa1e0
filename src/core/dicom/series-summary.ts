import type { LoadedSeries } from './types';

/** The `pulmolens info --json` shape of one series (a CLI contract other tools rely on). */
export interface DecodedSeriesSummary {
  seriesInstanceUid: string;
  studyInstanceUid: string;
  modality: string;
  rows: number;
  columns: number;
  slices: number;
  spacingMm: [number, number, number];
  originLps: [number, number, number];
  directionCosines: number[];
  huMin: number;
  huMax: number;
  huMean: number;
  transferSyntaxes: string[];
  warnings: string[];
}

export function summariseDecodedSeries(l: LoadedSeries): DecodedSeriesSummary {
  const s = l.series;
  return {
    seriesInstanceUid: s.metadata.seriesInstanceUid,
    studyInstanceUid: s.metadata.studyInstanceUid,
    modality: s.metadata.modality,
    rows: s.rows,
    columns: s.columns,
    slices: s.slices,
    spacingMm: [...s.spacingMm],
    originLps: [...s.originLps],
    directionCosines: [...s.direction],
    huMin: l.huMin,
    huMax: l.huMax,
    huMean: Math.round(l.huMean * 100) / 100,
    transferSyntaxes: s.transferSyntaxes,
    warnings: s.warnings,
  };
}
