import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import type { Finding, FindingsDocument } from '../../src/common/findings/findings-document';
import type { Heatmap } from '../../src/core/inference/pipeline';
import {
  CSV_COLUMNS,
  encodePng,
  findingsCsv,
  heatColour,
  renderKeyImages,
  reportContent,
  winAnsi,
  type ReportInput,
} from '../../src/core/report';
import { decide, emptyReview } from '../../src/common/review';
import type { Volume } from '../../src/common/volume';

function phantom(): { volume: Volume; heatmap: Heatmap; finding: Finding } {
  const dims: [number, number, number] = [64, 64, 8];
  const geometry = {
    dims,
    spacingMm: [1, 1, 2] as [number, number, number],
    originLps: [0, 0, 0] as [number, number, number],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as Volume['direction'],
  };
  const hu = new Int16Array(64 * 64 * 8).fill(-850); // lung
  const data = new Uint8Array(hu.length);
  for (let k = 0; k < 8; k++)
    for (let j = 0; j < 64; j++)
      for (let i = 0; i < 64; i++) {
        const r = Math.hypot(i - 40, j - 24);
        const v = i + j * 64 + k * 4096;
        if (r < 5) hu[v] = 40; // a 10 mm nodule at (40, 24)
        if (r < 8) data[v] = 230;
      }
  const finding: Finding = {
    id: 'F001',
    centerLps: [40, 24, 8],
    centerVoxel: [40, 24, 4],
    probability: 0.9,
    diameterMm: 10,
    longAxisMm: 10,
    shortAxisMm: 10,
    volumeMm3: 523.6,
    meanHu: 40,
    type: 'solid',
    spiculated: false,
    malignancyRisk: 0.08,
    lungRads: '4A',
    fleischner:
      'Fleischner 2017, single solid nodule 10 mm: Consider CT at 3 months, PET/CT, or tissue sampling.',
  };
  return { volume: { ...geometry, hu }, heatmap: { ...geometry, data }, finding };
}

const px = (img: { width: number; data: Uint8Array }, x: number, y: number) => {
  const o = (y * img.width + x) * 4;
  return [img.data[o]!, img.data[o + 1]!, img.data[o + 2]!];
};

describe('key images', () => {
  it('centre the nodule in the lung window, ring it, and colour only the heatmap version', () => {
    const { volume, heatmap, finding } = phantom();
    const k = renderKeyImages(volume, heatmap, finding, { sizePx: 120, fieldMm: 60 });
    expect(k.sliceIndex).toBe(4);
    // Centre pixel: the nodule (+40 HU) in W1500/L-600 -> (40 + 1350) / 1500 * 255 = 236.
    expect(px(k.plain, 60, 60)).toEqual([236, 236, 236]);
    // Lung at -850 HU -> 85.
    expect(px(k.plain, 5, 60)).toEqual([85, 85, 85]);
    // The heatmap tints the nodule and leaves far lung grey.
    const [r, g, b] = px(k.overlay, 60, 60);
    expect(Math.max(r!, g!, b!) - Math.min(r!, g!, b!)).toBeGreaterThan(60);
    expect(px(k.overlay, 5, 60)).toEqual([85, 85, 85]);
    // Yellow ring at radius (10 / 2 + 3) mm = 16 px of 0.5 mm.
    expect(px(k.plain, 60 + 16, 60)).toEqual([255, 214, 0]);
    // Outside the volume (the crop reaches past column 63) is black.
    expect(px(k.plain, 119, 60)).toEqual([0, 0, 0]);
    const png = PNG.sync.read(Buffer.from(encodePng(k.overlay)));
    expect([png.width, png.height]).toEqual([120, 120]);
    expect(Array.from(png.data.subarray(0, 4))).toEqual(Array.from(k.overlay.data.subarray(0, 4)));
  });

  it('heatColour runs blue -> cyan -> yellow -> red', () => {
    expect(heatColour(0)).toEqual([0, 0, 255]);
    expect(heatColour(1)).toEqual([255, 0, 0]);
    expect(heatColour(2 / 3 - 1e-9)[1]).toBe(255);
  });
});

describe('text for standard PDF fonts', () => {
  it('keeps WinAnsi characters, folds accents, replaces the rest', () => {
    expect(winAnsi('Müller – 5 mm³ ±1 €')).toBe('Müller – 5 mm³ ±1 €');
    expect(winAnsi('Dvořák')).toBe('Dvorák'); // ř folds, á is WinAnsi
    expect(winAnsi('王 → ok\nnext')).toBe('? ? ok next');
  });
});

describe('findings CSV', () => {
  const docOf = (findings: Finding[], extra: Partial<FindingsDocument> = {}): FindingsDocument => ({
    seriesInstanceUid: '1.2',
    model: { name: 'm', version: '1', sha256: 'x' },
    executionProvider: 'cpu',
    timingsMs: {},
    findings,
    ...extra,
  });

  it('quotes commas and quotes, defuses formulas, one row per finding under review', () => {
    const { finding } = phantom();
    const doc = docOf([finding, { ...finding, id: 'F002', probability: 0.2 }]);
    const review = decide(emptyReview('1.2'), 'F001', {
      kind: 'rejected',
      reviewer: '=HYPERLINK("x"), Dr "Q"',
      at: '2026-01-01T00:00:00Z',
    });
    const input = { document: doc, review } as unknown as ReportInput;
    const csv = findingsCsv(reportContent(input)).split('\r\n');
    expect(csv[0]).toBe(CSV_COLUMNS.join(','));
    expect(csv).toHaveLength(3); // header, F001, trailing empty (F002 is below 0.5)
    expect(csv[1]).toContain(`"'=HYPERLINK(""x""), Dr ""Q"""`);
    expect(csv[1]).toContain(
      '"Fleischner 2017, single solid nodule 10 mm: Consider CT at 3 months, PET/CT, or tissue sampling."',
    );
  });

  it("says a part-solid nodule's solid part, and whose margin call it is, or that there is none", () => {
    const { finding } = phantom();
    const doc = docOf(
      [
        { ...finding, spiculated: null },
        {
          ...finding,
          id: 'F002',
          type: 'part-solid',
          solidComponentMm: 6.5,
          lungRads: '4A',
          spiculated: null,
        },
        { ...finding, id: 'F003', spiculated: false },
      ],
      { operatingThreshold: 0.5 },
    );
    const review = decide(emptyReview('1.2'), 'F002', {
      kind: 'accepted',
      spiculated: true,
      reviewer: 'Dr A',
      at: '2026-01-01T00:00:00Z',
    });
    const rows = findingsCsv(reportContent({ document: doc, review } as unknown as ReportInput))
      .trim()
      .split('\r\n')
      .map((line) => Object.fromEntries(line.split(',').map((v, i) => [CSV_COLUMNS[i], v])));
    expect(rows[1]).toMatchObject({ id: 'F001', solid_component_mm: '', spiculated: '', margin_by: '' });
    expect(rows[2]).toMatchObject({
      id: 'F002',
      type: 'part-solid',
      solid_component_mm: '6.5',
      spiculated: 'true',
      margin_by: 'reader',
      lung_rads: '4X',
    });
    expect(rows[3]).toMatchObject({ id: 'F003', spiculated: 'false', margin_by: 'model' });
  });
});
