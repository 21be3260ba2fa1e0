import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  detectBlobs,
  gaussianBlur,
  mergeBlobs,
  planBlobs,
  symmetricEigenvalues,
  type BlobCandidate,
} from '../../src/core/inference/blobs';
import { detectBlobsOnCores, shutdownBlobWorkers, splitBlobPlan } from '../../src/core/inference/blob-pool';
import { CHARACTERIZER_V2_INPUTS, cubeValues, extractCandidateCubes } from '../../src/core/inference/cubes';
import { coarseLungMask } from '../../src/core/inference/lung-mask';
import { FALLBACK_OPERATING_THRESHOLD, loadManifest } from '../../src/core/inference/manifest';
import { selectBlobs, unionCandidates } from '../../src/core/inference/stage1';
import type { Vec3 } from '../../src/common/volume';
import { syntheticChest } from '../support/synthetic-chest';
import { ensureTestModels } from '../support/test-models';

describe('Gaussian blur and Hessian eigenvalues', () => {
  it('keeps a constant and the total of an impulse, and spreads it with the given sigma', () => {
    const dims: Vec3 = [21, 19, 17];
    const d = new Float32Array(21 * 19 * 17).fill(-850);
    gaussianBlur(d, dims, 1.7);
    for (const v of d) expect(v).toBeCloseTo(-850, 2);
    const imp = new Float32Array(21 * 19 * 17);
    const c = 10 + 9 * 21 + 8 * 21 * 19;
    imp[c] = 1000;
    gaussianBlur(imp, dims, 1.5);
    expect(imp.reduce((a, b) => a + b, 0)).toBeCloseTo(1000, 1);
    // Second moment along x = sigma^2.
    let m2 = 0;
    for (let x = 0; x < 21; x++) m2 += imp[x + 9 * 21 + 8 * 21 * 19]! * (x - 10) ** 2;
    let m0 = 0;
    for (let x = 0; x < 21; x++) m0 += imp[x + 9 * 21 + 8 * 21 * 19]!;
    expect(m2 / m0).toBeCloseTo(1.5 ** 2, 1);
  });

  it('blurring only the rows that can differ from the fill gives the full blur bit for bit', () => {
    for (const dims of [
      [23, 17, 19],
      [9, 7, 1],
      [12, 30, 4],
    ] as Vec3[]) {
      const [nx, ny, nz] = dims;
      // A lumpy "lung" region of random HU in fill -900, touching the x edge on some rows.
      let seed = 7;
      const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
      // A fill whose blurred values round differently in float32 and double sums.
      const fill = Math.fround(-873.37);
      const full = new Float32Array(nx * ny * nz).fill(fill);
      const extent = {
        lo: new Int32Array(ny * nz).fill(nx),
        hi: new Int32Array(ny * nz).fill(-1),
        outside: fill,
      };
      for (let z = 0; z < nz; z++)
        for (let y = 0; y < ny; y++) {
          if ((y * 7 + z * 3) % 5 === 0) continue;
          const r = y + z * ny;
          const a = Math.floor(rand() * nx);
          const b = Math.min(nx - 1, a + Math.floor(rand() * nx));
          for (let x = a; x <= b; x++) full[x + r * nx] = fill + rand() * 1000;
          extent.lo[r] = a;
          extent.hi[r] = b;
        }
      const part = full.slice();
      for (const sigma of [0.97, 0.97, 1.37, 1.94, 3.88]) {
        gaussianBlur(full, dims, sigma);
        gaussianBlur(part, dims, sigma, undefined, extent);
        expect(part).toEqual(full);
        for (let r = 0; r < ny * nz; r++)
          for (let x = 0; x < nx; x++)
            if (x < extent.lo[r]! || x > extent.hi[r]!) expect(full[x + r * nx]).toBe(extent.outside);
      }
    }
  });

  it('eigenvalues of a symmetric matrix, ascending', () => {
    expect(symmetricEigenvalues(3, 1, 2, 0, 0, 0)).toEqual([1, 2, 3]);
    // [[2,1,0],[1,2,0],[0,0,5]] -> 1, 3, 5
    const e = symmetricEigenvalues(2, 2, 5, 1, 0, 0);
    expect(e[0]).toBeCloseTo(1, 9);
    expect(e[1]).toBeCloseTo(3, 9);
    expect(e[2]).toBeCloseTo(5, 9);
  });
});

describe('blob detector', () => {
  const spacing: Vec3 = [0.8, 0.8, 1.5];
  const nodules = [
    { centre: [66, 50, 24] as Vec3, diameterMm: 8, hu: 30 },
    { centre: [30, 48, 20] as Vec3, diameterMm: 5, hu: -500 },
  ];
  const vol = syntheticChest({ nodules, spacingMm: spacing });
  const { coarse, lung } = coarseLungMask(vol, [2, 2, 2]);
  const blobs = detectBlobs(vol, { mask: lung.core, dims: coarse.dims, step: coarse.step });
  afterAll(() => shutdownBlobWorkers());

  it('puts a blob on each nodule, with a scale near its size, round, and the solid one strongest', () => {
    for (const n of nodules) {
      const near = blobs.filter(
        (b) => Math.hypot(...b.centre.map((c, a) => (c - n.centre[a]!) * spacing[a]!)) <= n.diameterMm / 2,
      );
      expect(near.length, `blob on the ${n.diameterMm} mm nodule`).toBeGreaterThan(0);
      const best = near.sort((a, b) => b.response - a.response)[0]!;
      expect(best.scaleMm).toBeGreaterThan(n.diameterMm / 2);
      expect(best.scaleMm).toBeLessThan(n.diameterMm * 2);
      expect(best.sphericity).toBeGreaterThan(0.5);
    }
    expect(blobs[0]!.response).toBe(Math.max(...blobs.map((b) => b.response)));
  });

  it('cut into z slabs on 3 cores, gives the one-thread blobs exactly, in the same order', async () => {
    const onCores = await detectBlobsOnCores(
      vol,
      { mask: lung.core, dims: coarse.dims, step: coarse.step },
      { threads: 3 },
    );
    expect(onCores.length).toBeGreaterThan(0);
    expect(onCores).toEqual(blobs);
  }, 120_000);

  it('splits the octaves into shares whose slabs tile each octave once', () => {
    const plan = planBlobs(vol, { mask: lung.core, dims: coarse.dims, step: coarse.step })!;
    for (const n of [1, 2, 3, 7, 500]) {
      const shares = splitBlobPlan(plan, n);
      expect(shares.length).toBeGreaterThan(0);
      expect(shares.length).toBeLessThanOrEqual(n);
      for (const o of plan.octaves) {
        const slabs = shares
          .flat()
          .filter((s) => s.octave === o)
          .sort((a, b) => a.z0 - b.z0);
        expect(slabs[0]!.z0).toBe(0);
        expect(slabs.at(-1)!.z1).toBe(o.dims[2]);
        slabs.forEach((s, i) => {
          expect(s.z1).toBeGreaterThan(s.z0);
          if (i > 0) expect(s.z0).toBe(slabs[i - 1]!.z1);
        });
      }
    }
    expect(splitBlobPlan(plan, 1)).toHaveLength(1);
  });

  it('merges maxima within the stronger blob radius, keeps separate ones', () => {
    const b = (x: number, r: number, s = 10): BlobCandidate => ({
      centre: [x, 0, 0],
      scaleMm: s,
      response: r,
      sphericity: 1,
      smoothedHu: 0,
    });
    const kept = mergeBlobs([b(0, 100), b(4, 50), b(6, 60, 4), b(30, 10)]);
    expect(kept.map((k) => k.centre[0])).toEqual([0, 6, 30]);
  });

  it('keeps the best blobs of each scale, so small-scale vessels cannot crowd out a large faint blob', () => {
    const mk = (scaleMm: number, response: number): BlobCandidate => ({
      centre: [0, 0, 0],
      scaleMm,
      response,
      sphericity: 0.5,
      smoothedHu: 0,
    });
    const many = [...Array.from({ length: 50 }, (_, i) => mk(4, 500 + i)), mk(16, 100)];
    const sel = selectBlobs(many, () => 10);
    expect(sel).toHaveLength(11);
    expect(sel.some((s) => s.scaleMm === 16)).toBe(true);
  });
});

describe('union of blob and U-Net candidates', () => {
  const blob: BlobCandidate = {
    centre: [10, 10, 10],
    scaleMm: 8,
    response: 300,
    sphericity: 0.8,
    smoothedHu: -100,
  };
  it('marks a U-Net peak on a blob as both, keeps U-Net-only ones, blob peak stays the centre', () => {
    const far: BlobCandidate = { ...blob, centre: [50, 10, 10] };
    const u = [
      { centre: [11, 10, 10] as Vec3, peak: 0.9, regionVoxels: 100, extentMm: 6 },
      { centre: [10, 40, 10] as Vec3, peak: 0.3, regionVoxels: 10, extentMm: 3 },
    ];
    const c = unionCandidates([blob, far], u, [1, 1, 1]);
    expect(c.map((x) => x.source)).toEqual(['both', 'blob', 'unet']);
    expect(c[0]!.centre).toEqual([10, 10, 10]);
    expect(c[0]!.unetScore).toBe(0.9);
    expect(c[1]!.unetScore).toBeNull();
    expect(c[2]!.blobScore).toBeNull();
  });

  it('merges U-Net candidates whose centroids nearly coincide, keeping the stronger', () => {
    const u = [
      { centre: [40, 10, 10] as Vec3, peak: 0.5, regionVoxels: 20, extentMm: 4 },
      { centre: [40.3, 10, 10] as Vec3, peak: 0.9, regionVoxels: 20, extentMm: 4 },
      { centre: [48, 10, 10] as Vec3, peak: 0.4, regionVoxels: 20, extentMm: 4 },
    ];
    const c = unionCandidates([blob], u, [1, 1, 1]);
    expect(c.map((x) => [x.source, x.unetScore])).toEqual([
      ['blob', null],
      ['unet', 0.9],
      ['unet', 0.4],
    ]);
  });
});

describe('characterizer v2 cubes', () => {
  it('writes both channels centred on the candidate: 1 mm then 2 mm', () => {
    const vol = syntheticChest({ nodules: [{ centre: [48, 48, 24], diameterMm: 10, hu: 40 }] });
    const per = cubeValues(CHARACTERIZER_V2_INPUTS);
    expect(per).toBe(2 * 32 ** 3);
    const out = new Float32Array(per * 2).fill(-1);
    extractCandidateCubes(vol, [48, 48, 24], CHARACTERIZER_V2_INPUTS, [-1000, 400], out, per);
    expect(out[0]).toBe(-1); // the first candidate's slot is untouched
    const centre = 16 * 32 * 32 + 16 * 32 + 16;
    const scaled40 = (40 + 1000) / 1400;
    expect(out[per + centre]).toBeCloseTo(scaled40, 1);
    // Both channels sample the very same point at their index 16.
    expect(out[per + 32 ** 3 + centre]).toBe(out[per + centre]);
    // 10 mm nodule: 8 mm from the centre is lung on the 1 mm channel, 4 voxels of the 2 mm one.
    expect(out[per + centre + 8]!).toBeLessThan(0.2);
    expect(out[per + 32 ** 3 + centre + 4]!).toBeLessThan(0.2);
    expect(out[per + 32 ** 3 + centre + 2]!).toBeCloseTo(scaled40, 1);
  });

  it('samples every cube voxel exactly as one trilinear lookup per voxel would, air outside', () => {
    // The per-axis tables of extractCube against the textbook per-sample form, to the bit.
    const dims: Vec3 = [37, 29, 23];
    let seed = 7;
    const hu = Int16Array.from({ length: 37 * 29 * 23 }, () => {
      seed = (seed * 16807) % 2147483647;
      return (seed % 2400) - 1200;
    });
    const vol = {
      dims,
      spacingMm: [0.7, 0.8, 2.5] as Vec3,
      originLps: [0, 0, 0] as Vec3,
      direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as never,
      hu,
    };
    const reference = (centre: Vec3, size: number, mm: number): Float32Array => {
      const r = new Float32Array(size ** 3);
      const scale = (v: number) => (v <= -1000 ? 0 : v >= 400 ? 1 : (v + 1000) * (1 / 1400));
      const at = (i: number, j: number, k: number) => hu[i + j * dims[0] + k * dims[0] * dims[1]]!;
      let o = 0;
      for (let z = 0; z < size; z++)
        for (let y = 0; y < size; y++)
          for (let x = 0; x < size; x++) {
            const p = [x, y, z].map((t, a) => centre[a]! + (t - size / 2) * (mm / vol.spacingMm[a]!));
            if (p.some((v, a) => v < 0 || v > dims[a]! - 1)) {
              r[o++] = scale(-1000);
              continue;
            }
            const [i0, j0, k0] = p.map(Math.floor) as Vec3;
            const [wx, wy, wz] = p.map((v, a) => v - [i0, j0, k0][a]!);
            const [i1, j1, k1] = [i0, j0, k0].map((v, a) => Math.min(v + 1, dims[a]! - 1)) as Vec3;
            const c00 = at(i0, j0, k0) + (at(i1, j0, k0) - at(i0, j0, k0)) * wx!;
            const c01 = at(i0, j1, k0) + (at(i1, j1, k0) - at(i0, j1, k0)) * wx!;
            const c10 = at(i0, j0, k1) + (at(i1, j0, k1) - at(i0, j0, k1)) * wx!;
            const c11 = at(i0, j1, k1) + (at(i1, j1, k1) - at(i0, j1, k1)) * wx!;
            const c0 = c00 + (c01 - c00) * wy!;
            const c1 = c10 + (c11 - c10) * wy!;
            r[o++] = scale(c0 + (c1 - c0) * wz!);
          }
      return r;
    };
    const per = cubeValues(CHARACTERIZER_V2_INPUTS);
    const out = new Float32Array(per);
    for (const centre of [
      [18.3, 14.6, 11.2],
      [0, 0, 0],
      [36, 28, 22],
      [-3.5, 14, 30],
      [12.25, 27.9, 0.4],
    ] as Vec3[]) {
      extractCandidateCubes(vol, centre, CHARACTERIZER_V2_INPUTS, [-1000, 400], out, 0);
      expect(out.subarray(0, 32 ** 3)).toEqual(reference(centre, 32, 1));
      expect(out.subarray(32 ** 3)).toEqual(reference(centre, 32, 2));
    }
  });
});

const models = ensureTestModels();
describe.skipIf('skip' in models)('manifest v1 and v2', () => {
  const dir = 'dir' in models ? models.dir : '';
  const temp: string[] = [];
  afterAll(() => temp.forEach((d) => rmSync(d, { recursive: true, force: true })));
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON document edited freely
  const withManifest = (edit: (m: any) => void) => {
    const d = mkdtempSync(join(tmpdir(), 'pulmolens-manifest-'));
    temp.push(d);
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    edit(m);
    writeFileSync(join(d, 'manifest.json'), JSON.stringify(m));
    return d;
  };

  it('reads a v1 characterizer as one input channel and uses the documented fallback threshold', async () => {
    const m = await loadManifest(dir);
    expect(m.characterizer.inputs).toHaveLength(1);
    expect(m.operatingPoint).toMatchObject({ threshold: FALLBACK_OPERATING_THRESHOLD, source: 'fallback' });
  });

  it('reads v2 inputs and the operating point', async () => {
    const d = withManifest((m) => {
      const c = m.models.characterizer;
      delete c.cubeSize;
      delete c.spacingMm;
      c.inputName = 'cubes';
      c.inputs = CHARACTERIZER_V2_INPUTS;
      m.operatingPoint = { threshold: 0.37, score: 'characterizer p_nodule', chosenOn: 'x', criterion: 'y' };
    });
    const m = await loadManifest(d);
    expect(m.characterizer.inputs.map((i) => i.spacingMm)).toEqual([
      [1, 1, 1],
      [2, 2, 2],
    ]);
    expect(m.operatingPoint).toMatchObject({ threshold: 0.37, source: 'manifest' });
  });

  it('refuses a characterizer with neither inputs nor cubeSize, and a threshold outside (0, 1)', async () => {
    const d = withManifest((m) => {
      delete m.models.characterizer.cubeSize;
    });
    await expect(loadManifest(d)).rejects.toMatchObject({ code: 'MODEL_MISMATCH' });
    const e = withManifest((m) => {
      m.operatingPoint = { threshold: 1.5 };
    });
    await expect(loadManifest(e)).rejects.toMatchObject({
      code: 'MODEL_MISMATCH',
      message: /operatingPoint/,
    });
  });

  it('reads the validated noise limit and refuses a limit that is not a positive number', async () => {
    const ok = withManifest((m) => {
      m.operatingPoint = { threshold: 0.5, noise: { validatedMaxHu: 11.2, chosenOn: 'x' } };
    });
    expect((await loadManifest(ok)).operatingPoint.noise).toMatchObject({ validatedMaxHu: 11.2 });
    const bad = withManifest((m) => {
      m.operatingPoint = { threshold: 0.5, noise: { validatedMaxHu: -1 } };
    });
    await expect(loadManifest(bad)).rejects.toMatchObject({ code: 'MODEL_MISMATCH', message: /noise/ });
  });
});
