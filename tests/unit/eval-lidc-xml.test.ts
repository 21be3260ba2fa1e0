import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scanDicomInputs } from '../../src/core/dicom';
import { readLidcXml, type SeriesGeometry } from '../../src/core/eval/lidc-xml';
import { readLuna16Annotations } from '../../src/core/eval/luna16-csv';
import { lidcStudy, missingData, sharedPath } from '../support/shared-data';

const UID_0001 = '1.3.6.1.4.1.14519.5.2.1.6279.6001.179049373636438705059720603192';
const UID_0002 = '1.3.6.1.4.1.14519.5.2.1.6279.6001.619372068417051974713149104919';

async function geometryOf(seriesDir: string): Promise<{ uid: string; geometry: SeriesGeometry }> {
  const { series } = await scanDicomInputs([seriesDir]);
  expect(series).toHaveLength(1);
  const s = series[0]!;
  return { uid: s.metadata.seriesInstanceUid, geometry: s };
}

function distance(a: number[], b: number[]): number {
  return Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);
}

describe('LIDC-IDRI reader XML', () => {
  it('finds in LIDC-IDRI-0001 the nodule LUNA16 lists, within a few mm, marked by all 4 readers', async (ctx) => {
    const skip = missingData('ct/LIDC-IDRI-0001.tar.xz', 'ct/luna16-annotations.csv');
    if (skip) return ctx.skip(skip);
    const study = lidcStudy('0001');
    const { uid, geometry } = await geometryOf(study.seriesDir);
    expect(uid).toBe(UID_0001);
    const lidc = readLidcXml({ path: study.xml, text: readFileSync(study.xml, 'utf8') }, geometry);
    expect(lidc.seriesInstanceUid).toBe(UID_0001);
    expect(lidc.readers).toBe(4);
    expect(lidc.nodules).toHaveLength(1);

    const csv = sharedPath('ct/luna16-annotations.csv');
    const [luna] = readLuna16Annotations({ path: csv, text: readFileSync(csv, 'utf8') }).get(UID_0001)!;
    const found = lidc.nodules[0]!;
    // Measured: 0.2 mm apart; diameters 23.7 (mean equivalent-sphere of 4 readers) vs 23.35 mm.
    expect(distance(found.centerLps, luna!.centerLps)).toBeLessThan(2);
    expect(Math.abs(found.diameterMm - luna!.diameterMm)).toBeLessThan(1.5);
    // Every other mark is excluded: < 3 mm nodules and non-nodules, none of them near the nodule.
    expect(lidc.excluded.length).toBeGreaterThan(0);
    expect(lidc.excluded.every((e) => e.diameterMm === null)).toBe(true);
  });

  it('depends on k: LIDC-IDRI-0002 has a nodule marked by 2 readers, excluded at k=3 and counted at k=2', async (ctx) => {
    const skip = missingData('ct/LIDC-IDRI-0002.tar.xz', 'ct/luna16-annotations-excluded.csv');
    if (skip) return ctx.skip(skip);
    const study = lidcStudy('0002');
    const { uid, geometry } = await geometryOf(study.seriesDir);
    expect(uid).toBe(UID_0002);
    const src = { path: study.xml, text: readFileSync(study.xml, 'utf8') };
    expect(readLidcXml(src, geometry).nodules).toHaveLength(0); // as LUNA16: no nodule in 0002
    const k2 = readLidcXml(src, geometry, { minReaders: 2 });
    expect(k2.nodules).toHaveLength(1);
    // LUNA16's excluded list holds the readers' marks of that nodule with their diameters.
    const near = readFileSync(sharedPath('ct/luna16-annotations-excluded.csv'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith(UID_0002))
      .map((l) => l.split(',').slice(1).map(Number))
      .filter((r) => r[3]! > 0);
    expect(near.length).toBeGreaterThan(0);
    for (const r of near) expect(distance(k2.nodules[0]!.centerLps, r)).toBeLessThan(5);
  });

  it('rejects a file that is not LIDC reader XML', () => {
    const g: SeriesGeometry = {
      spacingMm: [1, 1, 1],
      originLps: [0, 0, 0],
      direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    };
    expect(() => readLidcXml({ path: 'x.xml', text: '<IdriReadMessage/>' }, g)).toThrow(
      /no LidcReadMessage root/,
    );
  });
});
