/**
 * The detector's upsampling re-expressed for onnxruntime's CPU (src/core/inference/detector-graph.ts):
 * the shipped U-Net's three ConvTranspose layers become Conv + shuffle, and the graph gives the
 * same probabilities as the shipped one on real LIDC-IDRI-0001 patches (lung, nodule, mediastinum);
 * with its Z, Y, X left open it gives them too, and takes the larger tiles detect.ts fits to the lung.
 * Speed is the benchmark's business (README, Analysis); this test is about sameness.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { worldToVoxel } from '../../src/common/volume';
import { loadSeries, scanDicomInputs } from '../../src/core/dicom';
import {
  downsamplingFactor,
  freeSpatialDims,
  rewriteUpsampling,
} from '../../src/core/inference/detector-graph';
import { gridFor, huScaler, resampleSlab } from '../../src/core/inference/grid';
import { loadManifest } from '../../src/core/inference/manifest';
import { getRuntime, releaseRuntimes } from '../../src/core/inference/runtime';
import { lidcStudy, missingData, repoRoot } from '../support/shared-data';

const models = join(repoRoot, 'models');
const skip =
  missingData('ct/LIDC-IDRI-0001.tar.xz') ??
  (existsSync(join(models, 'manifest.json')) ? null : 'no shipped models/');
if (skip) console.warn(`[skip] detector graph rewrite: ${skip}`);

afterAll(() => releaseRuntimes());

describe.skipIf(skip !== null)('the shipped detector with its upsampling rewritten', () => {
  it('replaces the three ConvTranspose layers and hands a graph without any over unchanged', async () => {
    const shipped = new Uint8Array(readFileSync(join(models, 'detector.onnx')));
    const r = rewriteUpsampling(shipped);
    expect(r.rewritten).toBe(3);
    expect(r.bytes).not.toEqual(shipped);
    // Nothing to rewrite (the characterizer has no ConvTranspose): the very same bytes.
    const char = new Uint8Array(readFileSync(join(models, 'characterizer.onnx')));
    const same = rewriteUpsampling(char);
    expect(same.rewritten).toBe(0);
    expect(same.bytes).toBe(char);
    // Not an ONNX model at all: an error, which the runtime answers with the shipped graph.
    expect(() => rewriteUpsampling(new Uint8Array([0x3a, 0xff, 0xff, 0xff, 0x0f]))).toThrow();
    // Three stride-2 levels: tiles must be multiples of 8. The characterizer has no strided Conv.
    expect(downsamplingFactor(shipped)).toBe(8);
    expect(downsamplingFactor(char)).toBe(1);
    // Z, Y, X of the input and output left open; a name the graph lacks changes nothing.
    expect(freeSpatialDims(r.bytes, ['ct', 'prob']).freed).toBe(2);
    const none = freeSpatialDims(r.bytes, ['no-such-input']);
    expect(none.freed).toBe(0);
    expect(none.bytes).toBe(r.bytes);
    // The app's runtime runs the rewritten form with open sizes.
    const rt = await getRuntime(models, 'cpu');
    expect(rt.detector.upsamplingRewritten).toBe(3);
    expect(rt.detector.tileMultiple).toBe(8);
    const tile = await rt.detector.detect(new Float32Array(72 * 128 * 96), [72, 128, 96]);
    expect(tile.length).toBe(72 * 128 * 96);
  });

  it('gives the shipped probabilities on real patches', async () => {
    const manifest = await loadManifest(models);
    const det = manifest.detector;
    const shipped = new Uint8Array(readFileSync(join(models, 'detector.onnx')));
    const opts = { executionProviders: ['cpu'], graphOptimizationLevel: 'all', logSeverityLevel: 3 } as const;
    const a = await ort.InferenceSession.create(shipped, opts);
    const rewritten = rewriteUpsampling(shipped).bytes;
    const b = await ort.InferenceSession.create(rewritten, opts);
    const c = await ort.InferenceSession.create(
      freeSpatialDims(rewritten, [det.inputName, det.outputName]).bytes,
      opts,
    );
    const scan = await scanDicomInputs([lidcStudy('0001').seriesDir]);
    const { volume } = await loadSeries(scan.series[0]!);
    const grid = gridFor(volume, det.spacingMm);
    const [pz, py, px] = det.patchSize;
    const [gx, gy] = grid.dims;
    // Patch centres on the model grid: the LUNA16 nodule, the right lung's middle, the mediastinum.
    const nodule = worldToVoxel(volume, [56.2, 86.3, -115.9]).map((v, k) => Math.round(v / grid.step[k]!));
    const centres = [
      nodule,
      [Math.round(gx * 0.3), Math.round(gy * 0.5), nodule[2]!],
      [gx >> 1, gy >> 1, nodule[2]!],
    ];
    let maxDiff = 0;
    let maxProb = 0;
    for (const [cx, cy, cz] of centres) {
      const z0 = Math.min(Math.max(0, cz! - pz / 2), grid.dims[2] - pz);
      const y0 = Math.min(Math.max(0, cy! - py / 2), gy - py);
      const x0 = Math.min(Math.max(0, cx! - px / 2), gx - px);
      const slab = resampleSlab(
        volume.hu,
        volume.dims,
        grid,
        z0,
        z0 + pz,
        new Float32Array(gx * gy * pz),
        huScaler(det.huWindow),
      );
      const patch = new Float32Array(pz * py * px);
      for (let z = 0; z < pz; z++)
        for (let y = 0; y < py; y++)
          patch.set(
            slab.subarray(z * gx * gy + (y0 + y) * gx + x0, z * gx * gy + (y0 + y) * gx + x0 + px),
            (z * py + y) * px,
          );
      const feed = { [det.inputName]: new ort.Tensor('float32', patch, [1, 1, pz, py, px]) };
      const pa = (await a.run(feed))[det.outputName]!.data as Float32Array;
      const pb = (await b.run(feed))[det.outputName]!.data as Float32Array;
      const pc = (await c.run(feed))[det.outputName]!.data as Float32Array;
      expect(pb.length).toBe(pa.length);
      expect(pc.length).toBe(pa.length);
      for (let i = 0; i < pa.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(pa[i]! - pb[i]!), Math.abs(pa[i]! - pc[i]!));
        maxProb = Math.max(maxProb, pa[i]!);
      }
    }
    console.log(
      `[report] rewritten (fixed and open sizes) vs shipped detector, 3 real patches: max |dp| = ${maxDiff}, max p = ${maxProb}`,
    );
    // The nodule patch is not blank: the comparison is over real detections.
    expect(maxProb).toBeGreaterThan(0.5);
    // Same products and sums: equal to float rounding (bit for bit on the machines measured so far).
    expect(maxDiff).toBeLessThan(1e-6);
    await a.release();
    await b.release();
    await c.release();
  }, 120_000);
});
