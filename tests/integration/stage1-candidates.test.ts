/**
 * Stage-1 candidates on real and synthetic chest CT: LIDC-IDRI-0001's LUNA16 nodule must be a
 * candidate of the candidate miner (the runtime's own stage 1, shipped models), and on a held-out
 * phantom every nodule >= 4 mm must be a blob candidate.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectBlobs } from '../../src/core/inference/blobs';
import { gridFor, resampleSlab } from '../../src/core/inference/grid';
import { lungMaskFromHu } from '../../src/core/inference/lung-mask';
import { BLOB_QUOTA, selectBlobs } from '../../src/core/inference/stage1';
import { generatePhantom } from '../../src/core/synth/index';
import type { Vec3 } from '../../src/core/volume/volume';
import { lidcStudy, missingData, repoRoot } from '../support/shared-data';

const shippedModels = join(repoRoot, 'models');
const lidcMissing = missingData('ct/LIDC-IDRI-0001.tar.xz');
const modelsMissing = existsSync(join(shippedModels, 'manifest.json')) ? null : 'no shipped models/';

describe.skipIf(lidcMissing !== null || modelsMissing !== null)('candidate miner on LIDC-IDRI-0001', () => {
  const out = mkdtempSync(join(tmpdir(), 'pulmolens-mine-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('writes N x 2 x 32^3 cubes and a candidate list that holds the LUNA16 nodule', () => {
    const { seriesDir } = lidcStudy('0001');
    const prefix = join(out, 'lidc1');
    execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(repoRoot, 'training', 'mine_candidates.ts'),
        seriesDir,
        '--out',
        prefix,
        '--models',
        shippedModels,
      ],
      { cwd: repoRoot, stdio: 'pipe' },
    );
    const doc = JSON.parse(readFileSync(`${prefix}.json`, 'utf8')) as {
      seriesInstanceUid: string;
      sliceThicknessMm: number;
      candidates: Array<{
        world: Vec3;
        voxel: Vec3;
        source: string;
        scaleMm: number;
        blobScore: number | null;
        unetScore: number | null;
      }>;
      timingsMs: Record<string, number>;
    };
    expect(doc.seriesInstanceUid).toBe('1.3.6.1.4.1.14519.5.2.1.6279.6001.179049373636438705059720603192');
    expect(doc.sliceThicknessMm).toBe(2.5);
    const n = doc.candidates.length;
    expect(n).toBeGreaterThan(50);
    expect(n).toBeLessThan(1000);
    expect(statSync(`${prefix}.cubes.f32`).size).toBe(n * 2 * 32 ** 3 * 4);
    // LUNA16: centre (56.2, 86.3, -115.9) mm, 23.4 mm; a hit is a centre within the radius.
    const truth: Vec3 = [56.20840547, 86.34341278, -115.8675792];
    const hits = doc.candidates.filter(
      (c) => Math.hypot(...c.world.map((v, a) => v - truth[a]!)) <= 23.35 / 2,
    );
    expect(hits.length).toBeGreaterThan(0);
    // The training-free blob detector finds it on its own, whatever the U-Net does.
    expect(hits.some((c) => c.source !== 'unet')).toBe(true);
    for (const c of doc.candidates) {
      expect(['blob', 'unet', 'both']).toContain(c.source);
      expect(c.blobScore === null).toBe(c.source === 'unet');
      expect(c.unetScore === null).toBe(c.source === 'blob');
    }
    // The cube of a hit: values in [0, 1], the 1 mm channel's centre is nodule (denser than lung).
    const cubes = new Float32Array(readFileSync(`${prefix}.cubes.f32`).buffer.slice(0));
    const k = doc.candidates.indexOf(hits[0]!);
    const per = 2 * 32 ** 3;
    const centre = 16 * 32 * 32 + 16 * 32 + 16;
    expect(cubes[k * per + centre]!).toBeGreaterThan((-500 + 1000) / 1400);
    for (let i = k * per; i < (k + 1) * per; i += 997) {
      expect(cubes[i]!).toBeGreaterThanOrEqual(0);
      expect(cubes[i]!).toBeLessThanOrEqual(1);
    }
    // Never overwrites: a second run to the same prefix fails and leaves the first output.
    expect(() =>
      execFileSync(
        process.execPath,
        ['--import', 'tsx', join(repoRoot, 'training', 'mine_candidates.ts'), seriesDir, '--out', prefix],
        { cwd: repoRoot, stdio: 'pipe' },
      ),
    ).toThrow();
    expect(statSync(`${prefix}.cubes.f32`).size).toBe(n * 2 * 32 ** 3 * 4);
  }, 600_000);
});

describe('blob candidates on a held-out phantom', () => {
  it('every nodule >= 4 mm becomes a blob candidate, a few hundred candidates in all', () => {
    const p = generatePhantom({ seed: 9002, nodules: 8, dims: [320, 320, 150], spacingMm: [1.1, 1.1, 2] });
    const vol = p.volume;
    const coarse = gridFor(vol, [2, 2, 2]);
    const hu = resampleSlab(
      vol.hu,
      vol.dims,
      coarse,
      0,
      coarse.dims[2],
      new Float32Array(coarse.dims.reduce((a, b) => a * b)),
    );
    const lung = lungMaskFromHu(hu, coarse.dims, [2, 2, 2]);
    const blobs = selectBlobs(
      detectBlobs(vol, { mask: lung.core, dims: coarse.dims, step: coarse.step }),
      BLOB_QUOTA,
    );
    expect(blobs.length).toBeLessThan(700);
    const big = p.nodules.filter((n) => n.diameterMm >= 4);
    expect(big.length).toBeGreaterThanOrEqual(5);
    for (const n of big) {
      const hit = blobs.some(
        (b) =>
          Math.hypot(...b.centre.map((c, a) => (c - n.centerVoxel[a]!) * vol.spacingMm[a]!)) <=
          n.diameterMm / 2,
      );
      expect(hit, `${n.diameterMm.toFixed(1)} mm ${n.type} ${n.location} nodule`).toBe(true);
    }
  }, 300_000);
});
