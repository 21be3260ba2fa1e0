/**
 * LUNA16's marks on a series, as the training scripts that count false positives on the real
 * scans read them (app_summary.py's rule): every nodule at its radius, every excluded mark at its
 * radius or 15 mm where it has no size.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Vec3 } from '../src/common/volume';
import { readLuna16Annotations, readLuna16Excluded } from '../src/core/eval';

export interface LunaMark {
  at: Vec3;
  r: number;
  nodule: boolean;
}

/** The marks of SeriesInstanceUID `uid` from the CSVs in `sharedCt` (../shared/data/ct). */
export function lunaMarks(sharedCt: string, uid: string): LunaMark[] {
  const read = (f: string) => ({ path: join(sharedCt, f), text: readFileSync(join(sharedCt, f), 'utf8') });
  const nodules = readLuna16Annotations(read('luna16-annotations.csv')).get(uid) ?? [];
  const excluded = readLuna16Excluded(read('luna16-annotations-excluded.csv')).get(uid) ?? [];
  return [
    ...nodules.map((m) => ({ at: m.centerLps, r: m.diameterMm / 2, nodule: true })),
    ...excluded.map((m) => ({ at: m.centerLps, r: m.diameterMm ? m.diameterMm / 2 : 15, nodule: false })),
  ];
}
