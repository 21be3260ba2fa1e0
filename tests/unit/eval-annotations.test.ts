import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PulmoLensError } from '../../src/common/errors';
import { readLuna16Annotations, readLuna16Excluded } from '../../src/core/eval/luna16-csv';
import { coverageLines, referenceCoverage } from '../../src/core/eval/reference-coverage';
import { readSeriesUidList } from '../../src/core/eval/series-list';
import { missingData, sharedPath } from '../support/shared-data';

const HEADER = 'seriesuid,coordX,coordY,coordZ,diameter_mm';

function errorOf(f: () => unknown): PulmoLensError {
  try {
    f();
  } catch (e) {
    if (e instanceof PulmoLensError) return e;
    throw e;
  }
  throw new Error('expected a PulmoLensError');
}

describe('LUNA16 CSV reader', () => {
  it('reads rows in world mm, ids naming file and line, extra columns allowed', () => {
    const text = `${HEADER},note\n1.2.3,1.5,-2,3e1,6,"a, b"\n\n1.2.3,0,0,0,4,x\n1.2.4,9,9,9,12.5,y\n`;
    const m = readLuna16Annotations({ path: '/data/annotations.csv', text });
    expect(m.get('1.2.3')).toEqual([
      { id: 'annotations.csv:2', centerLps: [1.5, -2, 30], diameterMm: 6 },
      { id: 'annotations.csv:4', centerLps: [0, 0, 0], diameterMm: 4 },
    ]);
    expect(m.get('1.2.4')).toHaveLength(1);
  });

  it('reads the excluded list with -1 as "no diameter"', () => {
    const m = readLuna16Excluded({
      path: 'ex.csv',
      text: `${HEADER}\r\n1.2.3,1,2,3,-1\r\n1.2.3,1,2,3,7.5\r\n`,
    });
    expect(m.get('1.2.3')!.map((e) => e.diameterMm)).toEqual([null, 7.5]);
  });

  it('names the line of a missing column, a non-number, a short row and an unknown series', () => {
    const missing = errorOf(() =>
      readLuna16Annotations({ path: 'a.csv', text: 'seriesuid,coordX,coordY,diameter_mm\n1.2,1,2,3\n' }),
    );
    expect(missing.code).toBe('ANNOTATIONS_INVALID');
    expect(missing.path).toBe('a.csv');
    expect(missing.message).toMatch(/^line 1: missing column coordZ/);

    const nan = errorOf(() =>
      readLuna16Annotations({ path: 'b.csv', text: `${HEADER}\n1.2,1,2,3,4\n1.2,1,abc,3,4\n` }),
    );
    expect(nan.message).toBe('line 3: coordY is not a number ("abc")');
    expect(nan.details).toEqual({ line: 3 });

    const empty = errorOf(() => readLuna16Annotations({ path: 'b.csv', text: `${HEADER}\n1.2,1,,3,4\n` }));
    expect(empty.message).toBe('line 2: coordY is not a number ("")');

    const short = errorOf(() => readLuna16Annotations({ path: 'c.csv', text: `${HEADER}\n1.2,1,2,3\n` }));
    expect(short.message).toBe('line 2: expected 5 fields, found 4');

    const unknown = errorOf(() =>
      readLuna16Annotations(
        { path: 'd.csv', text: `${HEADER}\n1.2,1,2,3,4\n9.9,1,2,3,4\n` },
        { knownSeries: new Set(['1.2']) },
      ),
    );
    expect(unknown.message).toMatch(/^line 3: unknown series 9\.9/);

    const nonPositive = errorOf(() =>
      readLuna16Annotations({ path: 'e.csv', text: `${HEADER}\n1.2,1,2,3,-1\n` }),
    );
    expect(nonPositive.message).toBe('line 2: diameter_mm must be positive, found -1');

    const blank = errorOf(() => readLuna16Annotations({ path: 'f.csv', text: '\n\n' }));
    expect(blank.message).toMatch(/empty/);
  });

  it('reads the real LUNA16 CSVs for LIDC-IDRI-0001/0002', (ctx) => {
    const skip = missingData('ct/luna16-annotations.csv', 'ct/luna16-annotations-excluded.csv');
    if (skip) return ctx.skip(skip);
    const path = sharedPath('ct/luna16-annotations.csv');
    const ann = readLuna16Annotations({ path, text: readFileSync(path, 'utf8') });
    expect([...ann.values()].flat()).toHaveLength(1);
    const [nodule] = ann.get('1.3.6.1.4.1.14519.5.2.1.6279.6001.179049373636438705059720603192')!;
    expect(nodule!.diameterMm).toBeCloseTo(23.35064438, 8);
    const exPath = sharedPath('ct/luna16-annotations-excluded.csv');
    const ex = readLuna16Excluded({ path: exPath, text: readFileSync(exPath, 'utf8') });
    expect(ex.size).toBe(2);
    expect([...ex.values()].flat().some((e) => e.diameterMm === null)).toBe(true);
  });
});

describe('series list and reference coverage (issue 13)', () => {
  it("reads LUNA16's seriesuids.csv (no header), a header, extra columns and duplicates", () => {
    expect(readSeriesUidList({ path: 's.csv', text: '1.2.3\n\n1.2.4\r\n1.2.3\n' })).toEqual([
      '1.2.3',
      '1.2.4',
    ]);
    expect(readSeriesUidList({ path: 's.csv', text: 'seriesuid,x\n"1.2.3",7\n' })).toEqual(['1.2.3']);
    const bad = errorOf(() => readSeriesUidList({ path: 's.csv', text: '1.2.3\n../etc\n' }));
    expect(bad.code).toBe('ANNOTATIONS_INVALID');
    expect(bad.message).toBe('line 2: not a series UID ("../etc")');
    expect(errorOf(() => readSeriesUidList({ path: 's.csv', text: 'seriesuid\n' })).message).toMatch(
      /names no series/,
    );
  });

  it('counts annotated series not found, lists nodule-free studies and the list coverage', () => {
    const c = referenceCoverage(
      {
        annotatedSeries: ['a', 'b', 'x', 'y'],
        foundSeries: ['a', 'b', 'c', 'd'],
        listedSeries: ['a', 'c', 'z'],
      },
      ['a', 'c'],
    );
    expect(c).toEqual({
      annotatedSeriesNotFound: 2,
      seriesWithoutAnnotations: ['c'],
      seriesList: { listed: 3, notFound: 1, studiesNotListed: 2 },
    });
    expect(coverageLines(c, 2)).toEqual([
      '2 studies are not in the series list and were left out',
      '1 listed series is not among the studies',
      '2 annotated series are not among the studies (scored the 2 present; --strict makes this an error)',
      '1 study has no annotation row (counted as nodule-free): c',
    ]);
    expect(
      coverageLines(
        referenceCoverage({ annotatedSeries: ['a'], foundSeries: ['a'], listedSeries: null }, ['a']),
        1,
      ),
    ).toEqual([]);
  });
});
