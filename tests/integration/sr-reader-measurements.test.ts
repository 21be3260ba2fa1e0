/**
 * The reader's own measurements in the TID 1500 SR on LIDC-IDRI-0001: a length, a bidirectional
 * measurement, an elliptical and a circular ROI and a probe, each its own measurement group with
 * SCOORD3D geometry, checked by dcmtk's dsrdump (content constraints enforced) and read back.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildMeasurementReport,
  ellipsePoints,
  readDicom,
  reportContent,
  type ReaderMeasurement,
  type ReportInput,
} from '../../src/core/report';
import { emptyReview } from '../../src/common/review';
import { voxelToWorld, type Vec3 } from '../../src/common/volume';
import { memoryAnalysisStore } from '../../src/core/findings/analysis-store';
import { createAnalysisHandlers } from '../../src/main/ipc/analysis-handlers';
import { missingData } from '../support/shared-data';
import { lidcFixture } from './report-lidc-fixture';

const CHARSET_NOTE = /^W: The VR checker does not support this Specific Character Set: ISO_IR 192$/;
const axial: Vec3 = [0, 0, -1];

describe('reader measurement geometry', () => {
  it('orders an ellipse major axis first and turns a circle into its four axis ends', () => {
    const e: ReaderMeasurement = {
      uid: 'e',
      stats: { tool: 'EllipticalROI', meanHu: 0, stdDevHu: 0, areaMm2: 1, minHu: 0, maxHu: 0 },
      points: [
        [0, -2, 0],
        [0, 2, 0],
        [-5, 0, 0],
        [5, 0, 0],
      ],
      viewPlaneNormal: axial,
      sliceIndex: null,
    };
    expect(ellipsePoints(e)).toEqual([
      [-5, 0, 0],
      [5, 0, 0],
      [0, -2, 0],
      [0, 2, 0],
    ]);
    const c: ReaderMeasurement = {
      ...e,
      stats: { tool: 'CircleROI', meanHu: 0, stdDevHu: 0, areaMm2: 1, minHu: 0, maxHu: 0 },
      points: [
        [1, 1, 0],
        [4, 1, 0],
      ],
    };
    const pts = ellipsePoints(c)!;
    expect(pts[0]).toEqual([4, 1, 0]);
    expect(pts[1]).toEqual([-2, 1, 0]);
    // The minor axis lies in the plane, perpendicular, with the same radius.
    expect(Math.hypot(pts[2]![0] - 1, pts[2]![1] - 1, pts[2]![2])).toBeCloseTo(3, 9);
    expect(pts[2]![2]).toBeCloseTo(0, 9);
    expect((pts[2]![0] - 1) * 3).toBeCloseTo(0, 9);
  });
});

describe.skipIf(missingData('ct/LIDC-IDRI-0001.tar.xz'))(
  'reader measurements in the SR on LIDC-IDRI-0001',
  () => {
    let work = '';
    let file = '';
    let bytes: Uint8Array;

    beforeAll(async () => {
      const fx = await lidcFixture();
      const vol = fx.loaded.volume;
      const k = 40;
      const w = (i: number, j: number): Vec3 => voxelToWorld(vol, [i, j, k]);
      const base = { viewPlaneNormal: axial, sliceIndex: k };
      const measurements: ReaderMeasurement[] = [
        { uid: 'l', stats: { tool: 'Length', lengthMm: 70.3 }, points: [w(200, 200), w(300, 200)], ...base },
        {
          uid: 'b',
          stats: { tool: 'Bidirectional', longAxisMm: 28.1, shortAxisMm: 14.1 },
          points: [w(200, 250), w(240, 250), w(220, 240), w(220, 260)],
          ...base,
        },
        {
          uid: 'e',
          stats: {
            tool: 'EllipticalROI',
            meanHu: 41.25,
            stdDevHu: 9.5,
            areaMm2: 312.4,
            minHu: -20,
            maxHu: 90,
          },
          points: [w(250, 280), w(250, 300), w(240, 290), w(260, 290)],
          ...base,
        },
        {
          uid: 'c',
          stats: {
            tool: 'CircleROI',
            meanHu: -850.5,
            stdDevHu: 30.25,
            areaMm2: 78.5,
            minHu: -920,
            maxHu: -700,
          },
          points: [w(150, 250), w(157, 250)],
          ...base,
        },
        { uid: 'p', stats: { tool: 'Probe', hu: -1000 }, points: [w(256, 20)], ...base },
      ];
      const input: ReportInput = {
        metadata: fx.loaded.series.metadata,
        frames: fx.loaded.series.frames,
        volume: vol,
        heatmap: fx.heatmap,
        document: fx.document,
        review: emptyReview(fx.document.seriesInstanceUid),
        readerMeasurements: measurements,
      };
      bytes = buildMeasurementReport(input, reportContent(input)).bytes;
      work = mkdtempSync(join(tmpdir(), 'pulmolens-sr-reader-'));
      file = join(work, 'report-sr.dcm');
      writeFileSync(file, bytes);
    }, 300_000);
    afterAll(() => rmSync(work, { recursive: true, force: true }));

    it('dsrdump accepts it without errors or warnings and shows each measurement group', () => {
      const d = spawnSync('dsrdump', [file], { encoding: 'utf8' });
      expect(d.status, d.stderr).toBe(0);
      expect(d.stderr.split('\n').filter((l) => l.trim() && !CHARSET_NOTE.test(l))).toEqual([]);
      const out = d.stdout;
      for (let i = 1; i <= 5; i++) expect(out).toContain(`"Reader measurement ${i}"`);
      expect(out).toContain('<contains NUM:(,,"Length")="70.3" (mm,UCUM,"millimeter")>');
      expect(out).toContain('<contains NUM:(,,"Long Axis")="28.1" (mm,UCUM,"millimeter")>');
      expect(out).toContain('<contains NUM:(,,"Short Axis")="14.1" (mm,UCUM,"millimeter")>');
      expect(out).toMatch(/<inferred from SCOORD3D:\(,,"Image Region"\)=\(POLYLINE,/);
      expect(out).toMatch(/<contains SCOORD3D:\(,,"Image Region"\)=\(ELLIPSE,/);
      expect(out).toContain(`<contains NUM:(,,"Mean")="41.25" ([hnsf'U],UCUM,"Hounsfield unit")>`);
      expect(out).toContain(
        `<contains NUM:(,,"Standard Deviation")="30.25" ([hnsf'U],UCUM,"Hounsfield unit")>`,
      );
      expect(out).toContain('<contains NUM:(,,"Area")="78.5" (mm2,UCUM,"square millimeter")>');
      expect(out).toContain(
        `<contains NUM:(,,"Attenuation Coefficient")="-1000" ([hnsf'U],UCUM,"Hounsfield unit")>`,
      );
      const t = spawnSync('dsrdump', ['+Pt', file], { encoding: 'utf8' });
      expect(t.stdout).toMatch(/TID 1410/);
      expect(t.stdout).toMatch(/TID 1501/);
    });

    it('reads back with dcmjs: five reader groups after the findings, ellipse with four points', () => {
      type Node = Record<string, unknown> & { ContentSequence?: Node[] | Node };
      const list = <T>(v: T[] | T | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
      const meaning = (n: Node) =>
        list(n.ConceptNameCodeSequence as { CodeMeaning: string }[] | undefined)[0]?.CodeMeaning;
      const root = readDicom(bytes) as Node;
      const measurementsContainer = list(root.ContentSequence).find(
        (n) => meaning(n) === 'Imaging Measurements',
      )!;
      const groups = list(measurementsContainer.ContentSequence);
      const reader = groups.filter((g) =>
        list(g.ContentSequence).some((c) => String(c.TextValue ?? '').startsWith('Reader measurement')),
      );
      expect(reader).toHaveLength(5);
      const ellipse = list(reader[2]!.ContentSequence).find((c) => c.GraphicType === 'ELLIPSE')!;
      expect(list(ellipse.GraphicData as number[])).toHaveLength(12);
    });
  },
);

describe.skipIf(missingData('ct/LIDC-IDRI-0001.tar.xz'))('report.export on LIDC-IDRI-0001', () => {
  it("puts the series' kept reader measurements into the exported SR", async () => {
    const fx = await lidcFixture();
    const key = fx.loaded.series.key;
    const store = memoryAnalysisStore();
    const { data, ...grid } = fx.heatmap;
    await store.saveAnalysis(
      { key, document: fx.document, analysedAt: '2026-12-01T00:00:00.000Z', heatmap: grid, warnings: [] },
      data,
    );
    const w = (i: number, j: number): Vec3 => voxelToWorld(fx.loaded.volume, [i, j, 40]);
    const kept: ReaderMeasurement[] = [
      {
        uid: 'l',
        stats: { tool: 'Length', lengthMm: 70.3 },
        points: [w(200, 200), w(300, 200)],
        viewPlaneNormal: axial,
        sliceIndex: 40,
      },
    ];
    const h = createAnalysisHandlers({
      series: async () => fx.loaded,
      store,
      reviewer: () => 'dr-a',
      readerMeasurements: async (k) => (k === key ? kept : []),
    });
    const out = mkdtempSync(join(tmpdir(), 'pulmolens-sr-export-'));
    try {
      const r = await h['report.export'](
        { key, outDir: join(out, 'report'), formats: ['sr'] },
        { signal: new AbortController().signal, progress: () => undefined },
      );
      const sr = r.files.find((f) => f.endsWith('.dcm'))!;
      const d = spawnSync('dsrdump', [sr], { encoding: 'utf8' });
      expect(d.status, d.stderr).toBe(0);
      expect(d.stdout).toContain('"Reader measurement 1"');
      expect(d.stdout).toContain('<contains NUM:(,,"Length")="70.3" (mm,UCUM,"millimeter")>');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 300_000);
});
