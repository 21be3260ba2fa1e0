import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Progress } from '../../src/core/dicom/types';
import { PulmoLensError } from '../../src/common/errors';
import {
  analyzeSeries,
  inferenceConfig,
  shutdownInference,
  type AnalyzableSeries,
} from '../../src/core/inference';
import { FALLBACK_OPERATING_THRESHOLD, SCORE_FUSED, SCORE_P_NODULE } from '../../src/core/inference/manifest';
import { THICK_SLICE_RECALIBRATED, THICK_SLICE_WARNING } from '../../src/core/inference/pipeline';
import { EXECUTION_PROVIDERS } from '../../src/core/inference/config';
import { voxelToWorld, worldToVoxel, type Vec3 } from '../../src/common/volume';
import { coarseLungMask, inLungCore } from '../../src/core/inference/lung-mask';
import { syntheticChest } from '../support/synthetic-chest';
import { ensureTestModels } from '../support/test-models';
import { repoRoot } from '../support/shared-data';

const models = ensureTestModels();
const skip = 'skip' in models ? models.skip : null;
const modelsDir = 'dir' in models ? models.dir : '';
const onCpu = inferenceConfig({ modelsDir, provider: 'cpu' });
const repoModels = join(repoRoot, 'models');
const shippedFusion = join(repoModels, 'fusion-detector.onnx');

const truth: Vec3 = [66, 50, 24];
const series: AnalyzableSeries = {
  volume: syntheticChest({ nodules: [{ centre: truth, diameterMm: 8, hu: 30 }] }),
  series: {
    metadata: {
      seriesInstanceUid: '2.25.1234',
      patientAge: '071Y',
      patientSex: 'F',
      patientBirthDate: '',
      studyDate: '',
    },
  },
};

describe.skipIf(skip !== null)('analyzeSeries in the inference worker (test models, synthetic chest)', () => {
  afterAll(() => shutdownInference());

  it('finds the inserted nodule, measures it and maps voxel and world coordinates consistently', async () => {
    const events: Progress[] = [];
    const r = await analyzeSeries(series, onCpu, { onProgress: (p) => events.push(p) });
    const doc = r.document;
    expect(doc.seriesInstanceUid).toBe('2.25.1234');
    expect(doc.model.name).toBe('test-blob-detector');
    expect(EXECUTION_PROVIDERS).toContain(doc.executionProvider);
    expect(doc.timingsMs.detect).toBeGreaterThan(0);
    // One operating threshold (the v1 test models have no operatingPoint: the documented fallback).
    expect(doc.operatingThreshold).toBe(FALLBACK_OPERATING_THRESHOLD);
    for (const f of doc.findings) expect(f.probability).toBeGreaterThanOrEqual(doc.operatingThreshold!);
    for (const c of doc.candidates!) {
      expect(c.probability).toBeLessThan(doc.operatingThreshold!);
      expect(['blob', 'unet', 'both', 'thickness']).toContain(c.source);
    }
    expect(doc.warnings).toEqual(r.warnings);
    expect(doc.warnings!.some((w) => w.startsWith(THICK_SLICE_WARNING))).toBe(false);
    const probs = doc.findings.map((f) => f.probability);
    expect(probs).toEqual([...probs].sort((a, b) => b - a));
    const top = doc.findings[0]!;
    const world = voxelToWorld(series.volume, truth);
    // 8 mm sphere at voxel (66, 50, 24) of a 0.8 x 0.8 x 1.5 mm grid
    expect(Math.hypot(...top.centerLps.map((v, a) => v - world[a]!))).toBeLessThan(2);
    expect(worldToVoxel(series.volume, top.centerLps).map(Math.round)).toEqual(top.centerVoxel);
    expect(top.diameterMm).toBeGreaterThan(6.5);
    expect(top.diameterMm).toBeLessThan(9.5);
    // pi/6 * 8^3 = 268 mm^3, partial-volume losses at 1.5 mm slices allowed
    expect(top.volumeMm3).toBeGreaterThan(268 * 0.6);
    expect(top.volumeMm3).toBeLessThan(268 * 1.4);
    expect(top.meanHu).toBeGreaterThan(-200);
    expect(top.type).toBe('solid');
    expect(['3', '4A', '4X']).toContain(top.lungRads);
    expect(top.fleischner).toMatch(/^Fleischner 2017, /);
    expect(top.malignancyRisk).toBeGreaterThan(0);
    expect(top.malignancyRisk).toBeLessThan(1);
    expect(doc.findings.map((f) => f.id)).toEqual(
      doc.findings.map((_, i) => `F${String(i + 1).padStart(3, '0')}`),
    );
    // heatmap on the CT's own grid, hot at the nodule
    expect(r.heatmap.dims).toEqual(series.volume.dims);
    const [nx, ny] = series.volume.dims;
    expect(r.heatmap.data[truth[0] + truth[1] * nx + truth[2] * nx * ny]).toBeGreaterThan(200);
    // and cold outside the lung up to the pleura (the pipeline's lung mask: twice the 1 mm grid)
    const { coarse, lung } = coarseLungMask(series.volume, [2, 2, 2]);
    const inCore = inLungCore(coarse, lung);
    let outside = 0;
    r.heatmap.data.forEach((p, v) => {
      if (p > 0 && !inCore(v % nx, Math.floor(v / nx) % ny, Math.floor(v / (nx * ny)))) outside++;
    });
    expect(outside).toBe(0);
    // progress: every stage reported, detection to completion
    const stages = new Set(events.map((e) => e.stage));
    for (const s of ['lung mask', 'detection', 'heatmap', 'candidates', 'characterization', 'segmentation']) {
      expect(stages).toContain(s);
    }
    const det = events.filter((e) => e.stage === 'detection').at(-1)!;
    expect(det.done).toBe(det.total);
  });

  const thick: AnalyzableSeries = {
    volume: syntheticChest({
      nodules: [{ centre: [66, 50, 12], diameterMm: 8, hu: 30 }],
      dims: [96, 96, 24],
      spacingMm: [0.8, 0.8, 3],
    }),
    series: series.series,
  };

  it('analyses 3 mm slices with a thick-slice warning and no flood of findings', async () => {
    const r = await analyzeSeries(thick, onCpu);
    const w = r.document.warnings!.filter((x) => x.startsWith(THICK_SLICE_WARNING));
    expect(w).toHaveLength(1);
    expect(w[0]).toContain('3 mm');
    expect(r.warnings).toContain(w[0]);
    // No flood: the blob scales start at 1.5 slices, so thick slices give fewer candidates than
    // the same chest at 1.5 mm. The test models' crude scores list a handful of findings on either
    // (4-8 with any tiling of the U-Net's window; a flood is dozens); the real models' thick-slice
    // check is thick-slice-lidc.test.ts.
    const thin = await analyzeSeries(series, onCpu);
    expect(r.document.candidates!.length).toBeLessThan(thin.document.candidates!.length);
    expect(r.document.findings.length).toBeLessThanOrEqual(10);
    expect(thin.document.findings.length).toBeLessThanOrEqual(10);
    expect(r.document.findings[0]!.diameterMm).toBeGreaterThan(6.5);
  });

  it("recalibrates a thick series' p_nodule as the manifest says, and only a thick series'", async () => {
    const d = mkdtempSync(join(tmpdir(), 'pulmolens-thickcal-'));
    try {
      for (const f of ['detector.onnx', 'characterizer.onnx']) copyFileSync(join(modelsDir, f), join(d, f));
      const m = JSON.parse(readFileSync(join(modelsDir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
      m.operatingPoint = {
        threshold: FALLBACK_OPERATING_THRESHOLD,
        score: 'detector peak x characterizer p_nodule',
        thickSlice: { logitOffset: 12, chosenOn: 'this test' },
      };
      writeFileSync(join(d, 'manifest.json'), JSON.stringify(m));
      const calibrated = inferenceConfig({ modelsDir: d, provider: 'cpu' });
      const plain = await analyzeSeries(thick, onCpu);
      expect(plain.document.findings.length).toBeGreaterThan(0);
      const r = await analyzeSeries(thick, calibrated);
      expect(r.document.warnings!.find((w) => w.startsWith(THICK_SLICE_WARNING))).toContain(
        `(this series: 3 mm; ${THICK_SLICE_RECALIBRATED})`,
      );
      // Every logit lowered by 12: none left at the threshold, the former findings among the candidates.
      expect(r.document.findings).toEqual([]);
      expect(r.document.candidates!.length).toBeGreaterThanOrEqual(
        plain.document.candidates!.length + plain.document.findings.length,
      );
      expect(Math.max(...r.document.candidates!.map((c) => c.probability))).toBeLessThan(0.01);
      // A thin series is scored as before under the same manifest.
      const thin = await analyzeSeries(series, calibrated);
      const thinPlain = await analyzeSeries(series, onCpu);
      expect(thin.document.findings.map((f) => f.probability)).toEqual(
        thinPlain.document.findings.map((f) => f.probability),
      );
      expect(thin.document.warnings!.some((w) => w.startsWith(THICK_SLICE_WARNING))).toBe(false);
      // 3 mm slices reconstructed every 2 mm (SliceThickness 3): thick, though the spacing is not.
      const volume = syntheticChest({
        nodules: [{ centre: [66, 50, 18], diameterMm: 8, hu: 30 }],
        dims: [96, 96, 36],
        spacingMm: [0.8, 0.8, 2],
      });
      const stated = (sliceThicknessMm: number): AnalyzableSeries => ({
        volume,
        series: { metadata: { ...series.series.metadata, sliceThicknessMm } },
      });
      const overlapping = await analyzeSeries(stated(3), calibrated);
      expect(overlapping.document.warnings!.find((w) => w.startsWith(THICK_SLICE_WARNING))).toContain(
        `(this series: 3 mm slices 2 mm apart; ${THICK_SLICE_RECALIBRATED})`,
      );
      expect(overlapping.document.findings).toEqual([]);
      const contiguous = await analyzeSeries(stated(2), calibrated);
      expect(contiguous.document.warnings!.some((w) => w.startsWith(THICK_SLICE_WARNING))).toBe(false);
      expect(contiguous.document.findings.length).toBeGreaterThan(0);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it("fuses each candidate's p_nodule with the fusion detector's heat, leaving stage 1 as it is", async () => {
    // Three copies of the test models: p_nodule alone, and fused with a second U-Net (the test
    // detector, copied) at weights 1 and 2. Nothing else differs, so every candidate keeps its
    // place and logit(fused) - logit(p_nodule) = weight x logit(h) with one h per candidate.
    const dirs: string[] = [];
    const copy = (weight: number | null) => {
      const d = mkdtempSync(join(tmpdir(), 'pulmolens-fusion-'));
      dirs.push(d);
      for (const f of ['detector.onnx', 'characterizer.onnx']) copyFileSync(join(modelsDir, f), join(d, f));
      copyFileSync(join(modelsDir, 'detector.onnx'), join(d, 'fusion-detector.onnx'));
      const m = JSON.parse(readFileSync(join(modelsDir, 'manifest.json'), 'utf8')) as {
        models: Record<string, Record<string, unknown>>;
        operatingPoint: Record<string, unknown>;
      };
      // Above every score: all candidates stay in `candidates`, in one list to compare.
      m.operatingPoint = { threshold: 0.9999, score: SCORE_P_NODULE };
      if (weight !== null) {
        m.models.fusionDetector = { ...m.models.detector, name: 'test-fusion', file: 'fusion-detector.onnx' };
        m.operatingPoint.score = SCORE_FUSED;
        m.operatingPoint.fusion = { model: 'fusionDetector', weight, radiusMm: 2, heatClip: 1e-4 };
      }
      writeFileSync(join(d, 'manifest.json'), JSON.stringify(m));
      return inferenceConfig({ modelsDir: d, provider: 'cpu' });
    };
    try {
      const [plain, w1, w2] = [
        await analyzeSeries(series, copy(null)),
        await analyzeSeries(series, copy(1)),
        await analyzeSeries(series, copy(2)),
      ].map((r) => r.document);
      expect(plain!.fusionDetector).toBeUndefined();
      expect(plain!.heatmapFrom).toBe('detector');
      expect(w1!.fusionDetector).toMatchObject({ name: 'test-fusion', sha256: plain!.model.sha256 });
      expect(w1!.heatmapFrom).toBe('fusionDetector');
      expect(w1!.timingsMs.fusionDetect).toBeGreaterThan(0);
      const byPlace = (d: typeof plain) => new Map(d!.candidates!.map((c) => [c.centerVoxel.join(), c]));
      const [p, a, b] = [plain, w1, w2].map(byPlace);
      // The same candidates (one may have become a finding: its place is then the outline's).
      for (const [d, m] of [
        [w1, a],
        [w2, b],
      ] as const) {
        expect(d!.candidates!.length + d!.findings.length).toBe(plain!.candidates!.length);
        for (const k of m!.keys()) expect(p!.has(k)).toBe(true);
      }
      const logit = (q: number) => Math.log(q / (1 - q));
      let compared = 0;
      let moved = 0;
      for (const [place, c] of p!) {
        if (!a!.has(place) || !b!.has(place)) continue;
        const q = [c.probability, a!.get(place)!.probability, b!.get(place)!.probability];
        // Shown probabilities are floored to 1e-4: compare only where that leaves the logit precise.
        if (q.some((x) => x < 0.02 || x > 0.98)) continue;
        compared++;
        const [l0, l1, l2] = q.map(logit) as [number, number, number];
        expect(l2 - l0).toBeCloseTo(2 * (l1 - l0), 1);
        if (Math.abs(l1 - l0) > 0.1) moved++;
      }
      expect(compared).toBeGreaterThan(5);
      expect(moved).toBeGreaterThan(0);
      // The U-Net is hot on the inserted nodule: fusion raises its candidate's score.
      const near = (d: typeof plain) =>
        d!.candidates!.reduce((best, c) =>
          Math.hypot(...c.centerVoxel.map((v, i) => v - truth[i]!)) <
          Math.hypot(...best.centerVoxel.map((v, i) => v - truth[i]!))
            ? c
            : best,
        );
      const nodule = near(plain);
      expect(Math.hypot(...nodule.centerVoxel.map((v, i) => v - truth[i]!))).toBeLessThan(3);
      const fused = [...w1!.candidates!, ...w1!.findings].find(
        (c) => Math.hypot(...c.centerVoxel.map((v, i) => v - nodule.centerVoxel[i]!)) < 3,
      );
      expect(fused!.probability).toBeGreaterThan(nodule.probability);
    } finally {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  });

  it.skipIf(!existsSync(shippedFusion))(
    "overlays the fusion detector's heatmap where the models have one (shipped fusion-detector.onnx)",
    async () => {
      // The test models fused with the shipped fusion U-Net, and the test models with that U-Net as
      // stage 1's detector: both overlays are that U-Net's heatmap on the same grid and lung mask,
      // byte for byte; the test models alone overlay their own detector's, another map.
      const dirs: string[] = [];
      const shipped = JSON.parse(readFileSync(join(repoModels, 'manifest.json'), 'utf8')) as {
        models: Record<string, Record<string, unknown>>;
      };
      const copy = (role: 'fusion' | 'stage 1') => {
        const d = mkdtempSync(join(tmpdir(), 'pulmolens-overlay-'));
        dirs.push(d);
        for (const f of ['detector.onnx', 'characterizer.onnx']) copyFileSync(join(modelsDir, f), join(d, f));
        const m = JSON.parse(readFileSync(join(modelsDir, 'manifest.json'), 'utf8')) as {
          models: Record<string, Record<string, unknown>>;
          operatingPoint: Record<string, unknown>;
        };
        m.operatingPoint = { threshold: 0.9999, score: SCORE_P_NODULE };
        if (role === 'fusion') {
          copyFileSync(shippedFusion, join(d, 'fusion-detector.onnx'));
          m.models.fusionDetector = shipped.models.fusionDetector!;
          m.operatingPoint.score = SCORE_FUSED;
          m.operatingPoint.fusion = { model: 'fusionDetector', weight: 0.2, radiusMm: 2, heatClip: 1e-4 };
        } else {
          copyFileSync(shippedFusion, join(d, 'detector.onnx'));
          m.models.detector = { ...shipped.models.fusionDetector!, file: 'detector.onnx' };
        }
        writeFileSync(join(d, 'manifest.json'), JSON.stringify(m));
        return inferenceConfig({ modelsDir: d, provider: 'cpu' });
      };
      try {
        const fused = await analyzeSeries(series, copy('fusion'));
        const asStage1 = await analyzeSeries(series, copy('stage 1'));
        const own = await analyzeSeries(series, onCpu);
        expect(fused.document.heatmapFrom).toBe('fusionDetector');
        expect(asStage1.document.heatmapFrom).toBe('detector');
        expect(fused.heatmap.dims).toEqual(series.volume.dims);
        expect(Buffer.from(fused.heatmap.data).equals(Buffer.from(asStage1.heatmap.data))).toBe(true);
        expect(Buffer.from(fused.heatmap.data).equals(Buffer.from(own.heatmap.data))).toBe(false);
        // Stage 1 is still the test detector's: the fused analysis lists its candidates.
        expect(fused.document.model.name).toBe('test-blob-detector');
      } finally {
        for (const d of dirs) rmSync(d, { recursive: true, force: true });
      }
    },
  );

  it('cancels through an AbortSignal and keeps working afterwards', async () => {
    const ac = new AbortController();
    const p = analyzeSeries(series, onCpu, {
      signal: ac.signal,
      onProgress: (e) => {
        if (e.stage === 'detection' && e.done >= 1) ac.abort();
      },
    });
    await expect(p).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect(p).rejects.toBeInstanceOf(PulmoLensError);
    const again = await analyzeSeries(series, onCpu);
    expect(again.document.findings.length).toBeGreaterThan(0);
  });

  it('passes a typed model error from the worker back to the caller', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'pulmolens-nomodels-'));
    try {
      const e = await analyzeSeries(series, inferenceConfig({ modelsDir: empty })).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(PulmoLensError);
      expect(e).toMatchObject({ code: 'MODEL_MISSING', path: join(empty, 'manifest.json') });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('reports a forced provider that failed and the CPU that ran', async () => {
    const forced = process.platform === 'darwin' ? 'dml' : 'coreml';
    const r = await analyzeSeries(series, { ...onCpu, provider: forced }, { threshold: 0.5 });
    expect(r.document.executionProvider).toBe('cpu');
    expect(r.providerAttempts[0]).toMatchObject({ provider: forced, ok: false });
  });
});
