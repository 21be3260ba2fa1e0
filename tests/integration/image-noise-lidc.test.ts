/**
 * The image-noise figures on the real LIDC-IDRI-0001 (2.5 mm, standard kernel): plausible soft-tissue
 * noise as acquired; known added white noise measured at both scales as the variances add up; a
 * sharp-kernel rendering (in-plane unsharp mask) raises the soft-tissue SD far more than the
 * nodule-scale one, which is why the noisy-series warning reads the latter. Then the shipped models
 * on the same scan with noise of about a ninth of its dose: the analysis completes, warns that the
 * series is noisier than validated, and still lists the real nodule; and the same scan stored
 * mirrored or with another field of view is not called noisier than validated (session 28).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Volume } from '../../src/common/volume';
import { loadSeries, scanDicomInputs } from '../../src/core/dicom';
import { analyzeSeries, inferenceConfig, shutdownInference } from '../../src/core/inference';
import { measureImageNoise, NODULE_SCALE_SIGMA_MM } from '../../src/core/inference/image-noise';
import {
  assessImageNoise,
  NOISY_SERIES_WARNING,
  type ModelOperatingPoint,
} from '../../src/core/inference/pipeline';
import { createRng } from '../../src/core/synth/prng';
import { lidcStudy, missingData, repoRoot, sharedPath } from '../support/shared-data';

const models = join(repoRoot, 'models');
const skip = missingData('ct/LIDC-IDRI-0001.tar.xz', 'ct/luna16-annotations.csv');
if (skip) console.warn(`[skip] image noise on LIDC-IDRI-0001: ${skip}`);

let cached: Volume | undefined;
async function lidc1(): Promise<Volume> {
  if (!cached) {
    const scan = await scanDicomInputs([lidcStudy('0001').seriesDir]);
    cached = (await loadSeries(scan.series[0]!)).volume;
  }
  return cached;
}

/** Discrete Gaussian taps as the estimator draws them (radius ceil(3 sigma), normalised). */
function taps(sigma: number): number[] {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const w = Array.from({ length: 2 * r + 1 }, (_, t) => Math.exp(-((t - r) ** 2) / (2 * sigma * sigma)));
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / s);
}

/** In-plane separable blur of every slice (edges clamped), sigma in pixels. */
function blurSlices(src: Float32Array, nx: number, ny: number, nz: number, sigma: number): Float32Array {
  const w = taps(sigma);
  const r = (w.length - 1) / 2;
  const tmp = new Float32Array(src.length);
  const out = new Float32Array(src.length);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++) {
      const row = (k * ny + j) * nx;
      for (let i = 0; i < nx; i++) {
        let s = 0;
        for (let t = -r; t <= r; t++) s += w[t + r]! * src[row + Math.min(nx - 1, Math.max(0, i + t))]!;
        tmp[row + i] = s;
      }
    }
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        let s = 0;
        for (let t = -r; t <= r; t++)
          s += w[t + r]! * tmp[(k * ny + Math.min(ny - 1, Math.max(0, j + t))) * nx + i]!;
        out[(k * ny + j) * nx + i] = s;
      }
  return out;
}

function withHu(v: Volume, f: (hu: Float32Array) => Float32Array): Volume {
  const out = f(Float32Array.from(v.hu));
  const hu = new Int16Array(out.length);
  for (let n = 0; n < out.length; n++) hu[n] = Math.max(-32768, Math.min(32767, Math.round(out[n]!)));
  return { ...v, hu };
}

function whiteNoise(n: number, sd: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = sd * rng.normal();
  return a;
}

/** The same voxels stored with the axes in `axes` reversed and the first `cut` columns and rows gone. */
function restored(v: Volume, axes: readonly number[], cut = 0): Volume {
  const [nx, ny, nz] = v.dims;
  const [mx, my] = [nx - cut, ny - cut];
  const hu = new Int16Array(mx * my * nz);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < my; j++)
      for (let i = 0; i < mx; i++) {
        const ii = axes.includes(0) ? nx - 1 - (i + cut) : i + cut;
        const jj = axes.includes(1) ? ny - 1 - (j + cut) : j + cut;
        const kk = axes.includes(2) ? nz - 1 - k : k;
        hu[(k * my + j) * mx + i] = v.hu[(kk * ny + jj) * nx + ii]!;
      }
  return { ...v, hu, dims: [mx, my, nz] };
}

afterAll(() => shutdownInference());

describe.skipIf(skip !== null)('image noise of LIDC-IDRI-0001', () => {
  it('measures the scan, added white noise at both scales, and tells a sharp kernel from more noise', async () => {
    const v = await lidc1();
    const base = measureImageNoise(v);
    if (!base.measured) throw new Error(`not measured (${base.patches} patches)`);
    console.log(`[report] LIDC-IDRI-0001 noise: ${JSON.stringify(base)}`);
    // A standard-kernel chest CT: tens of HU in soft tissue, much less once averaged at 1 mm.
    expect(base.patches).toBeGreaterThanOrEqual(50);
    expect(base.softTissueSdHu).toBeGreaterThan(8);
    expect(base.softTissueSdHu).toBeLessThan(30);
    expect(base.noduleScaleSdHu).toBeLessThan(base.softTissueSdHu / 1.5);

    // Independent noise of SD 20 HU per voxel: variances add; at nodule scale the blur passes
    // sqrt(sum w^2) of white noise per axis.
    const [px, py, pz] = v.spacingMm;
    const pass = [px, py, pz].reduce(
      (g, mm) => g * Math.sqrt(taps(NODULE_SCALE_SIGMA_MM / mm).reduce((a, w) => a + w * w, 0)),
      1,
    );
    const noisy = measureImageNoise(
      withHu(v, (hu) => {
        const e = whiteNoise(hu.length, 20, 21);
        return hu.map((x, n) => x + e[n]!);
      }),
    );
    if (!noisy.measured) throw new Error('noisy copy not measured');
    const within = (got: number, want: number, tol: number) =>
      expect(Math.abs(got / want - 1)).toBeLessThan(tol);
    within(noisy.softTissueSdHu, Math.hypot(base.softTissueSdHu, 20), 0.12);
    within(noisy.noduleScaleSdHu, Math.hypot(base.noduleScaleSdHu, 20 * pass), 0.15);

    // A sharp kernel: hu + 3 (hu - G_1px hu) in plane. The slice noise more than doubles; the
    // noise the model's 1 mm cubes see grows far less.
    const [nx, ny, nz] = v.dims;
    const sharp = measureImageNoise(
      withHu(v, (hu) => {
        const g = blurSlices(hu, nx, ny, nz, 1);
        return hu.map((x, n) => x + 3 * (x - g[n]!));
      }),
    );
    if (!sharp.measured) throw new Error('sharp copy not measured');
    console.log(`[report] sharpened: ${JSON.stringify(sharp)}; +20 HU white: ${JSON.stringify(noisy)}`);
    expect(sharp.softTissueSdHu / base.softTissueSdHu).toBeGreaterThan(2);
    expect(sharp.noduleScaleSdHu / base.noduleScaleSdHu).toBeLessThan(1.7);
  }, 120_000);
});

describe.skipIf(skip !== null || !existsSync(join(models, 'manifest.json')))(
  "the shipped models' noise limit on LIDC-IDRI-0001",
  () => {
    it('does not call the validation scan noisier than validated when it is stored otherwise', async () => {
      // Session 28: a limit equal to LIDC-IDRI-0001's one reading (6.5 HU) warned on the same scan
      // stored mirrored (6.64 HU: the patch grid fell elsewhere), as a feet-first scan or another
      // field of view stores it. The limit is now the largest reading over flips and cuts of 2-16
      // voxels (training/noise_calibration.py); the cuts of 3, 5 and 11 here are not among them.
      const manifest = JSON.parse(readFileSync(join(models, 'manifest.json'), 'utf8')) as {
        operatingPoint: ModelOperatingPoint;
      };
      const v = await lidc1();
      const stored: [string, Volume][] = [
        ['as acquired', v],
        ['mirrored left-right', restored(v, [0])],
        ['mirrored left-right, front-back', restored(v, [0, 1])],
        ['all axes reversed, 3 voxels cut', restored(v, [0, 1, 2], 3)],
        ['5 voxels cut', restored(v, [], 5)],
        ['mirrored left-right, 11 voxels cut', restored(v, [0], 11)],
      ];
      const read = stored.map(([name, x]) => {
        const { assessment, warning } = assessImageNoise(measureImageNoise(x), manifest.operatingPoint.noise);
        return { name, hu: assessment.measured ? assessment.noduleScaleSdHu : null, warning };
      });
      console.log(
        `[report] LIDC-IDRI-0001 stored otherwise: ${JSON.stringify(read.map((r) => [r.name, r.hu]))}`,
      );
      for (const r of read) {
        expect(r.hu, r.name).not.toBeNull();
        expect(r.warning, `${r.name}: ${r.hu} HU`).toBeUndefined();
      }
    }, 120_000);
  },
);

describe.skipIf(skip !== null || !existsSync(join(models, 'manifest.json')))(
  'shipped models on LIDC-IDRI-0001 at about a ninth of its dose',
  () => {
    it('warns that the series is noisier than validated and still lists the real nodule', async () => {
      const manifest = JSON.parse(readFileSync(join(models, 'manifest.json'), 'utf8')) as {
        operatingPoint: { noise?: { validatedMaxHu: number } };
      };
      const limit = manifest.operatingPoint.noise?.validatedMaxHu;
      expect(
        limit,
        'models/manifest.json states operatingPoint.noise (training/noise_calibration.py)',
      ).toBeDefined();
      const v = await lidc1();
      const [nx, ny, nz] = v.dims;
      // Noise with a soft kernel's grain (white noise blurred 1 px in plane), about 3x the scan's
      // own soft-tissue SD: a ninth of the dose, as session 20's insertions (--noise-gain 3).
      const volume = withHu(v, (hu) => {
        const e = blurSlices(whiteNoise(hu.length, 150, 9), nx, ny, nz, 1);
        return hu.map((x, n) => x + e[n]!);
      });
      const scan = await scanDicomInputs([lidcStudy('0001').seriesDir]);
      const { series } = await loadSeries(scan.series[0]!);
      const r = await analyzeSeries(
        { volume, series },
        inferenceConfig({ modelsDir: models, provider: 'cpu' }),
      );
      const doc = r.document;
      console.log(`[report] LIDC-IDRI-0001 at a ninth of the dose: ${JSON.stringify(doc.imageNoise)}`);
      expect(doc.imageNoise).toMatchObject({ measured: true, aboveValidated: true, validatedMaxHu: limit });
      if (doc.imageNoise?.measured) {
        expect(doc.imageNoise.softTissueSdHu).toBeGreaterThan(35);
        expect(doc.imageNoise.softTissueSdHu).toBeLessThan(60);
      }
      const noisy = doc.warnings!.filter((w) => w.startsWith(NOISY_SERIES_WARNING));
      expect(noisy).toHaveLength(1);
      expect(noisy[0]).toContain(`validated up to ${limit} HU`);

      // LUNA16's nodule (centre and diameter from its CSV) is still among the findings.
      const row = readFileSync(sharedPath('ct', 'luna16-annotations.csv'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(','))
        .find((c) => c[0] === doc.seriesInstanceUid)!;
      const centre = row.slice(1, 4).map(Number);
      const radius = Number(row[4]) / 2;
      const hit = doc.findings.findIndex(
        (f) => Math.hypot(...f.centerLps.map((x, a) => x - centre[a]!)) <= radius,
      );
      console.log(`[report] nodule rank ${hit + 1} of ${doc.findings.length} findings`);
      expect(hit).toBeGreaterThanOrEqual(0);
    }, 300_000);
  },
);
