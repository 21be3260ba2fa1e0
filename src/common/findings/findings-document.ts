import type { Vec3 } from '../volume';

/** Nodule type as the characterizer reports it and Lung-RADS / Brock consume it. */
export type NoduleType = 'solid' | 'part-solid' | 'ground-glass';

export type LungRadsCategory = '0' | '1' | '2' | '3' | '4A' | '4B' | '4X';

export interface ModelRef {
  name: string;
  version: string;
  sha256: string;
}

/** One detected candidate, as written to findings.json (the CLI contract of `pulmolens analyze`). */
export interface Finding {
  id: string;
  centerLps: Vec3;
  centerVoxel: Vec3;
  probability: number;
  diameterMm: number;
  longAxisMm: number;
  shortAxisMm: number;
  volumeMm3: number;
  meanHu: number;
  type: NoduleType;
  spiculated: boolean;
  /** Brock (PanCan full model) probability of malignancy, 0..1. */
  malignancyRisk: number;
  lungRads: LungRadsCategory;
  fleischner: string;
}

export interface FindingsDocument {
  seriesInstanceUid: string;
  model: ModelRef;
  executionProvider: string;
  timingsMs: Record<string, number>;
  /** Sorted by probability, highest first; every candidate above the lowest operating threshold. */
  findings: Finding[];
}
