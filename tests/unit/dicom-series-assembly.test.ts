import { describe, expect, it } from 'vitest';
import { groupSeries } from '../../src/core/dicom';
import type { InstanceHeader } from '../../src/core/dicom';
import type { FrameHeader } from '../../src/core/dicom/parse-instance';
import { layoutSlices } from '../../src/core/dicom/series-geometry';
import { HuHistogram, storedToHu, uncountStored } from '../../src/core/dicom/stored-to-hu';
import type { SkippedFile } from '../../src/core/dicom';

const axial: FrameHeader['orientation'] = [1, 0, 0, 0, 1, 0];
const coronal: FrameHeader['orientation'] = [1, 0, 0, 0, 0, -1];

function header(
  path: string,
  z: number,
  opts: Partial<InstanceHeader> & { orientation?: FrameHeader['orientation'] } = {},
): InstanceHeader {
  const base = {
    path,
    sopInstanceUid: `1.2.3.${path}`,
    sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
    instanceNumber: 1,
    metadata: { seriesInstanceUid: '1.2.3', modality: 'CT' } as InstanceHeader['metadata'],
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    codec: 'native-le' as const,
    rows: 4,
    columns: 4,
    bitsAllocated: 16,
    bitsStored: 16,
    pixelRepresentation: 1 as const,
    samplesPerPixel: 1,
    photometricInterpretation: 'MONOCHROME2',
    paddingValue: null,
    paddingRangeLimit: null,
    pixelDataInFile: null,
    frames: [
      {
        positionLps: [0, 0, z] as [number, number, number],
        orientation: opts.orientation ?? axial,
        pixelSpacing: [0.5, 0.5] as [number, number],
        sliceThicknessMm: 1,
        slope: 1,
        intercept: -1024,
      },
    ],
  };
  return { ...base, ...opts };
}

describe('series assembly', () => {
  it('sorts by position along the normal, not by instance number', () => {
    const hs = [
      header('a', 10, { instanceNumber: 1 }),
      header('b', 0, { instanceNumber: 2 }),
      header('c', 5, { instanceNumber: 3 }),
    ];
    const [s] = groupSeries(hs, []);
    expect(s!.frames.map((f) => f.path)).toEqual(['b', 'c', 'a']);
    expect(s!.spacingMm).toEqual([0.5, 0.5, 5]);
    expect(s!.originLps).toEqual([0, 0, 0]);
  });

  it('splits a series that mixes orientations into separate stacks, with a warning', () => {
    const hs = [header('a', 0), header('b', 1), header('c', 2), header('d', 0, { orientation: coronal })];
    const series = groupSeries(hs, []);
    expect(series.map((s) => [s.key, s.frames.length])).toEqual([
      ['1.2.3', 3],
      ['1.2.3#2', 1],
    ]);
    expect(series[0]!.warnings[0]).toMatch(/mixes 2 image sizes\/orientations/);
  });

  it('drops a second image at the same position and names it', () => {
    const skipped: SkippedFile[] = [];
    const [s] = groupSeries([header('a', 0), header('b', 1), header('b2', 1)], skipped);
    expect(s!.frames).toHaveLength(2);
    expect(skipped).toEqual([expect.objectContaining({ path: 'b2', code: 'SERIES_INCONSISTENT' })]);
  });
});

describe('slice layout', () => {
  it('leaves a slot for a missing slice and reports it', () => {
    const l = layoutSlices([0, 2.5, 5, 10, 12.5], null);
    expect(l.spacing).toBe(2.5);
    expect(l.slots).toEqual([0, 1, 2, 4, 5]);
    expect(l.slices).toBe(6);
    expect(l.warnings.join(' ')).toMatch(/missing 1 slice\(s\) between positions 5.00 and 10.00/);
  });

  it('reports uneven spacing', () => {
    const l = layoutSlices([0, 1, 2, 3.4, 4.4, 5.4], null);
    expect(l.warnings.join(' ')).toMatch(/uneven slice spacing/);
  });

  it('never puts two slices in one slot: too uneven for the grid, they are stacked in order', () => {
    // 2.4 rounds onto the slot of 2 on the 1 mm grid: one of the two would be lost, which one
    // depending on which decode finished last.
    const l = layoutSlices([0, 1, 2, 2.4, 3.4, 4.4], null);
    expect(l.slots).toEqual([0, 1, 2, 3, 4, 5]);
    expect(l.slices).toBe(6);
    // First and last slice keep their true positions.
    expect(l.spacing).toBeCloseTo(0.88, 10);
    expect(l.warnings.join(' ')).toMatch(
      /slices at 2\.00 and 2\.40 mm fall on one slot of the median spacing \(1\.000 mm.*stacked in order/,
    );
  });
});

describe('stored values to HU', () => {
  it('applies slope/intercept, masks bits above BitsStored, sign-extends and maps padding to air', () => {
    const out = new Int16Array(4);
    // 12 bits stored, signed: 0x0FFF is -1; 0xF005 has overlay junk in the top bits -> 5.
    storedToHu(
      new Uint16Array([0x0fff, 0xf005, 100, 0x0800]) as unknown as Int16Array,
      {
        slope: 2,
        intercept: -1000,
        bitsStored: 12,
        pixelRepresentation: 1,
        paddingValue: 100,
        paddingRangeLimit: null,
      },
      out,
      0,
    );
    expect(Array.from(out)).toEqual([-1002, -990, -1024, -2048 * 2 - 1000]);
  });

  it('clamps to the Int16 range', () => {
    const out = new Int16Array(2);
    storedToHu(
      new Uint16Array([65535, 0]),
      {
        slope: 1,
        intercept: 1000,
        bitsStored: 16,
        pixelRepresentation: 0,
        paddingValue: null,
        paddingRangeLimit: null,
      },
      out,
      0,
    );
    expect(Array.from(out)).toEqual([32767, 1000]);
  });

  it('gives the same HU on the two-voxels-at-a-time path and the one-at-a-time path', () => {
    const params = {
      slope: 1,
      intercept: -1024,
      bitsStored: 12,
      pixelRepresentation: 0 as const,
      paddingValue: 63536,
      paddingRangeLimit: null,
    };
    const raw = new Uint16Array(1001);
    for (let i = 0; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 16;
    const even = new Int16Array(1000);
    const odd = new Int16Array(1001);
    storedToHu(raw.subarray(0, 1000), params, even, 0); // even length, aligned: paired loop
    storedToHu(raw, params, odd, 0); // odd length: scalar loop
    expect(Array.from(even)).toEqual(Array.from(odd.subarray(0, 1000)));
    expect(new Set(even).size).toBeGreaterThan(100);
  });

  it('takes back the counts of a frame converted in part before its source failed', () => {
    const params = {
      slope: 1,
      intercept: -1024,
      bitsStored: 12,
      pixelRepresentation: 0 as const,
      paddingValue: null,
      paddingRangeLimit: null,
    };
    const good = new Uint16Array([0, 1024, 3000, 40]);
    const failed = new Uint16Array([4000, 4000, 7, 2]);
    const out = new Int16Array(8);
    const hist = new HuHistogram();
    storedToHu(good, params, out, 0, hist);
    const before = hist.stats();
    expect(before).toEqual({ min: -1024, max: 1976, sum: -1024 + 0 + 1976 - 984, count: 4 });
    storedToHu(failed, params, out, 4, hist);
    expect(hist.stats().max).toBe(2976);
    uncountStored(failed, params, hist);
    expect(hist.stats()).toEqual(before);
  });
});
