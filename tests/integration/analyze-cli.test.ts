import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runAnalyzeCommand } from '../../src/cli/commands/analyze';
import { shutdownInference } from '../../src/core/inference';
import { NOISY_SERIES_WARNING } from '../../src/core/inference/pipeline';
import { EMPTY_SLICES_WARNING } from '../../src/core/inference/empty-slices';
import { phantomToDicom } from '../../src/core/synth';
import { voxelToWorld, worldToVoxel, type Vec3, type VolumeGeometry } from '../../src/common/volume';
import { lidcStudy, missingData, repoRoot, sharedPath } from '../support/shared-data';
import { syntheticChest } from '../support/synthetic-chest';
import { ensureTestModels } from '../support/test-models';

const run = promisify(execFile);
const vec3 = z.tuple([z.number(), z.number(), z.number()]);
/** findings.json exactly as issue 5 specifies it (no extra keys). */
const modelRef = z.strictObject({
  name: z.string(),
  version: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
const findingsSchema = z.strictObject({
  seriesInstanceUid: z.string().min(1),
  model: modelRef,
  characterizer: modelRef,
  fusionDetector: modelRef.optional(),
  // Which U-Net's heatmap the NIfTI, the montage and the viewer's overlay hold (since session 45).
  heatmapFrom: z.enum(['detector', 'fusionDetector']),
  executionProvider: z.string().min(1),
  timingsMs: z.record(z.string(), z.number().nonnegative()),
  findings: z.array(
    z.strictObject({
      id: z.string(),
      centerLps: vec3,
      centerVoxel: z.tuple([z.number().int(), z.number().int(), z.number().int()]),
      probability: z.number().min(0).max(1),
      diameterMm: z.number().positive(),
      longAxisMm: z.number().positive(),
      shortAxisMm: z.number().positive(),
      volumeMm3: z.number().positive(),
      meanHu: z.number(),
      type: z.enum(['solid', 'part-solid', 'ground-glass']),
      solidComponentMm: z.number().nonnegative().optional(),
      spiculated: z.boolean().nullable(),
      malignancyRisk: z.number().min(0).max(1),
      lungRads: z.enum(['0', '1', '2', '3', '4A', '4B', '4X']),
      fleischner: z.string().min(1),
    }),
  ),
  operatingThreshold: z.number().gt(0).lt(1),
  candidates: z.array(
    z.strictObject({
      id: z.string(),
      centerLps: vec3,
      centerVoxel: z.tuple([z.number().int(), z.number().int(), z.number().int()]),
      probability: z.number().min(0).max(1),
      source: z.enum(['blob', 'unet', 'both', 'thickness']),
      scaleMm: z.number().positive(),
    }),
  ),
  warnings: z.array(z.string()),
  clinical: z.strictObject(
    Object.fromEntries(
      ['ageYears', 'sex', 'familyHistory', 'emphysema', 'fleischnerRisk'].map((k) => [
        k,
        z.strictObject({
          value: z.union([z.number(), z.string(), z.boolean()]),
          source: z.enum(['dicom', 'entered', 'assumed']),
          enteredBy: z.string().min(1).optional(),
          enteredAt: z.iso.datetime().optional(),
        }),
      ]),
    ),
  ),
  emphysema: z.strictObject({
    laaPercent: z.number().min(0).max(100),
    thresholdHu: z.literal(-950),
    cutoffPercent: z.number(),
    suggested: z.boolean(),
    lungVoxels: z.number().int().nonnegative(),
    lungFound: z.boolean(),
  }),
  imageNoise: z.discriminatedUnion('measured', [
    z.strictObject({
      measured: z.literal(true),
      sigmaMm: z.literal(1),
      softTissueHu: z.tuple([z.literal(-150), z.literal(150)]),
      patches: z.number().int().min(20),
      softTissueSdHu: z.number().positive(),
      noduleScaleSdHu: z.number().positive(),
      validatedMaxHu: z.number().positive().optional(),
      aboveValidated: z.boolean(),
    }),
    z.strictObject({
      measured: z.literal(false),
      sigmaMm: z.literal(1),
      softTissueHu: z.tuple([z.literal(-150), z.literal(150)]),
      patches: z.number().int().nonnegative(),
      validatedMaxHu: z.number().positive().optional(),
      aboveValidated: z.literal(false),
    }),
  ]),
});

type FindingsJson = z.infer<typeof findingsSchema>;

function checkDocument(doc: FindingsJson, geometry: VolumeGeometry | null): void {
  const probs = doc.findings.map((f) => f.probability);
  expect(probs).toEqual([...probs].sort((a, b) => b - a));
  // One operating threshold splits the findings from the candidates below it.
  for (const p of probs) expect(p).toBeGreaterThanOrEqual(doc.operatingThreshold);
  const below = doc.candidates.map((c) => c.probability);
  expect(below).toEqual([...below].sort((a, b) => b - a));
  for (const p of below) expect(p).toBeLessThan(doc.operatingThreshold);
  expect(new Set(doc.findings.map((f) => f.id)).size).toBe(doc.findings.length);
  // The overlay is the fusion U-Net's exactly where the document names one.
  expect(doc.heatmapFrom).toBe(doc.fusionDetector ? 'fusionDetector' : 'detector');
  if (geometry) {
    for (const f of doc.findings) {
      // centerVoxel is the voxel that holds centerLps
      expect(worldToVoxel(geometry, f.centerLps as Vec3).map(Math.round)).toEqual(f.centerVoxel);
      // ...and lies within half a voxel diagonal of that voxel's centre
      const back = voxelToWorld(geometry, f.centerVoxel as Vec3);
      const d = Math.hypot(...back.map((v, a) => v - f.centerLps[a]!));
      expect(d).toBeLessThanOrEqual(Math.hypot(...geometry.spacingMm) / 2 + 1e-3);
    }
  }
}

function niftiSrow(file: string): { dims: number[]; srow: number[][] } {
  const b = gunzipSync(readFileSync(file));
  expect(b.readInt32LE(0)).toBe(348);
  expect(b.toString('latin1', 344, 347)).toBe('n+1');
  return {
    dims: [1, 2, 3].map((i) => b.readInt16LE(40 + 2 * i)),
    srow: [0, 1, 2].map((r) => [0, 1, 2, 3].map((c) => b.readFloatLE(280 + 16 * r + 4 * c))),
  };
}

const temp: string[] = [];
afterAll(async () => {
  await shutdownInference();
  for (const d of temp) rmSync(d, { recursive: true, force: true });
});

const models = ensureTestModels();
const testSkip = 'skip' in models ? models.skip : null;

describe.skipIf(testSkip !== null)('pulmolens analyze on a synthetic DICOM study (test models)', () => {
  const truth: Vec3 = [66, 50, 24];
  const volume = syntheticChest({ nodules: [{ centre: truth, diameterMm: 8, hu: 30 }] });
  const dir = mkdtempSync(join(tmpdir(), 'pulmolens-analyze-'));
  temp.push(dir);
  const seriesDir = join(dir, 'series');
  mkdirSync(seriesDir);
  for (const f of phantomToDicom({ volume, nodules: [], seed: 7 }).files)
    writeFileSync(join(seriesDir, f.name), f.bytes);
  const modelsDir = 'dir' in models ? models.dir : '';

  it('writes findings.json per the contract, a NIfTI heatmap in RAS and a PNG montage', async () => {
    const out = join(dir, 'out');
    const r = await runAnalyzeCommand(seriesDir, {
      out,
      models: modelsDir,
      provider: 'cpu',
      age: '60',
      reader: 'Dr Ada Reader:R-42',
    });
    const doc = findingsSchema.parse(JSON.parse(readFileSync(r.findingsPath!, 'utf8')));
    // --age is a fact entered by the person named with --reader; the rest come from DICOM or defaults.
    expect(r.result.document.clinical!.ageYears).toEqual({
      value: 60,
      source: 'entered',
      enteredBy: 'Dr Ada Reader (R-42)',
      enteredAt: expect.any(String),
    });
    expect(r.result.document.clinical!.familyHistory).toEqual({ value: false, source: 'assumed' });
    expect(doc.timingsMs.decode).toBeGreaterThanOrEqual(0);
    checkDocument(doc, r.result.heatmap);
    const top = doc.findings[0]!;
    const world = voxelToWorld(r.result.heatmap, truth);
    expect(Math.hypot(...top.centerLps.map((v, a) => v - world[a]!))).toBeLessThan(2.5);

    const nii = niftiSrow(r.heatmapPath!);
    expect(nii.dims).toEqual(volume.dims);
    const v = top.centerVoxel;
    const ras = nii.srow.map((row) => row[0]! * v[0] + row[1]! * v[1] + row[2]! * v[2] + row[3]!);
    const lps = voxelToWorld(r.result.heatmap, v as Vec3);
    expect(ras[0]).toBeCloseTo(-lps[0], 3);
    expect(ras[1]).toBeCloseTo(-lps[1], 3);
    expect(ras[2]).toBeCloseTo(lps[2], 3);

    const png = PNG.sync.read(readFileSync(r.montagePath!));
    expect(png.width % volume.dims[0]).toBe(0);
    expect(png.height % volume.dims[1]).toBe(0);
  });

  it('says which of several series it analysed, and what the loader found missing', async () => {
    // Two series in one folder: the CT with more slices, one of its files gone, and a shorter one.
    const two = mkdtempSync(join(tmpdir(), 'pulmolens-analyze-two-'));
    temp.push(two);
    const write = (sub: string, files: { name: string; bytes: Uint8Array }[]) => {
      mkdirSync(join(two, sub));
      for (const f of files) writeFileSync(join(two, sub, f.name), f.bytes);
    };
    const long = phantomToDicom({ volume, nodules: [], seed: 8 });
    write(
      'long',
      long.files.filter((_, n) => n !== Math.floor(long.files.length / 2)),
    );
    const short = syntheticChest({ nodules: [], dims: [96, 96, 20], spacingMm: [0.8, 0.8, 1.5] });
    write('short', phantomToDicom({ volume: short, nodules: [], seed: 9 }).files);
    writeFileSync(join(two, 'long', 'CT000999.dcm'), 'not DICOM at all');
    const r = await runAnalyzeCommand(two, { out: join(two, 'out'), models: modelsDir, provider: 'cpu' });
    expect(r.result.document.seriesInstanceUid).toBe(long.seriesInstanceUid);
    // The file that is not DICOM is named, with the reason, before the series it was not part of.
    expect(r.seriesNotes[0]).toMatch(
      /^1 file\(s\) under the input left out: .*CT000999\.dcm \(DICOM_[A-Z_]+: /,
    );
    expect(r.seriesNotes[1]).toMatch(
      new RegExp(`^2 series under the input; analysed ${long.seriesInstanceUid} .*--series picks another$`),
    );
    expect(r.seriesNotes.some((n) => /missing 1 slice/.test(n))).toBe(true);
    expect(r.result.document.warnings!.some((w) => w.startsWith(EMPTY_SLICES_WARNING))).toBe(true);
    // Named, it is analysed without the note.
    const named = await runAnalyzeCommand(two, {
      out: join(two, 'out-short'),
      models: modelsDir,
      provider: 'cpu',
      series: phantomToDicom({ volume: short, nodules: [], seed: 9 }).seriesInstanceUid,
    });
    expect(named.seriesNotes.filter((n) => !/left out/.test(n))).toEqual([]);
  });

  it('runs from the command line, progress on stderr, and refuses a bad threshold', async () => {
    const out = join(dir, 'cli-out');
    const bin = join(repoRoot, 'bin', 'pulmolens.mjs');
    const ok = await run(
      process.execPath,
      [
        bin,
        'analyze',
        seriesDir,
        '--out',
        out,
        '--models',
        modelsDir,
        '--provider',
        'cpu',
        '--threshold',
        '0.3',
      ],
      {
        cwd: repoRoot,
      },
    );
    expect(ok.stdout.trim()).toBe(join(out, 'findings.json'));
    expect(ok.stderr).toMatch(/detection \[/);
    expect(ok.stderr).toMatch(/ran on cpu: \d+ finding\(s\) at or above [\d.]+, \d+ candidate\(s\) below/);
    expect(existsSync(join(out, 'heatmap.nii.gz'))).toBe(true);
    const bad = await run(process.execPath, [bin, 'analyze', seriesDir, '--out', out, '--threshold', '2'], {
      cwd: repoRoot,
    }).catch((e: { code: number; stderr: string }) => e);
    expect('code' in bad && bad.code).toBe(1);
    expect(bad.stderr).toContain('error [INVALID_INPUT] --threshold must be between 0 and 1, got 2');
  });
});

const shipped = join(repoRoot, 'models', 'manifest.json');
const realSkip =
  missingData('ct/LIDC-IDRI-0001.tar.xz', 'ct/luna16-annotations.csv') ??
  (existsSync(shipped) ? null : 'trained models not shipped yet (models/manifest.json absent)');
if (realSkip) console.warn(`[skip] shipped models on LIDC-IDRI-0001: ${realSkip}`);

describe.skipIf(realSkip !== null)('pulmolens analyze with the shipped models on LIDC-IDRI-0001', () => {
  it('writes a valid findings.json and reports whether the LUNA16 nodule was found', async () => {
    const study = lidcStudy('0001');
    const out = mkdtempSync(join(tmpdir(), 'pulmolens-lidc1-'));
    temp.push(out);
    const r = await runAnalyzeCommand(study.seriesDir, { out, provider: 'cpu' });
    const doc = findingsSchema.parse(JSON.parse(readFileSync(r.findingsPath!, 'utf8')));
    checkDocument(doc, r.result.heatmap);
    const manifest = JSON.parse(readFileSync(shipped, 'utf8')) as {
      models: {
        detector: { sha256: string };
        fusionDetector?: { sha256: string };
        characterizer: { sha256: string; spiculation?: { assessed: boolean } };
      };
      operatingPoint: { noise?: { validatedMaxHu: number } };
    };
    const models = manifest.models;
    // The scan as acquired is inside the noise range the models were validated at, and says so.
    expect(doc.imageNoise).toMatchObject({ measured: true, aboveValidated: false });
    if (doc.imageNoise.measured) {
      expect(doc.imageNoise.softTissueSdHu).toBeGreaterThan(doc.imageNoise.noduleScaleSdHu);
      expect(doc.imageNoise.validatedMaxHu).toBe(manifest.operatingPoint.noise?.validatedMaxHu);
    }
    expect(doc.warnings.some((w) => w.startsWith(NOISY_SERIES_WARNING))).toBe(false);
    expect(doc.model.sha256).toBe(models.detector.sha256);
    expect(doc.fusionDetector?.sha256).toBe(models.fusionDetector?.sha256);
    expect(doc.heatmapFrom).toBe(models.fusionDetector ? 'fusionDetector' : 'detector');
    // The probabilities are the characterizer's: the document says which one made them.
    expect(doc.characterizer.sha256).toBe(models.characterizer.sha256);
    // The shipped characterizer's margin output is measured as no better than chance
    // (training/attribute_check.py writes `spiculation.assessed: false`): no finding may claim a
    // margin, so none reads "not spiculated" and none gets 4X from it; the reader sets it.
    expect(models.characterizer.spiculation?.assessed).toBe(false);
    expect(doc.findings.length).toBeGreaterThan(0);
    for (const f of doc.findings) {
      expect(f.spiculated).toBeNull();
      expect(f.lungRads).not.toBe('4X');
      // A part-solid finding says what its category rests on; no other type carries a solid part.
      if (f.type === 'part-solid') expect(f.solidComponentMm).toBeLessThanOrEqual(f.diameterMm + 0.1);
      else expect(f.solidComponentMm).toBeUndefined();
    }
    const rows = readFileSync(sharedPath('ct', 'luna16-annotations.csv'), 'utf8').trim().split('\n').slice(1);
    for (const row of rows) {
      const [uid, x, y, zc, d] = row.split(',');
      if (uid !== doc.seriesInstanceUid) continue;
      const c = [Number(x), Number(y), Number(zc)];
      const radius = Number(d) / 2;
      const hits = doc.findings.filter((f) => Math.hypot(...f.centerLps.map((v, a) => v - c[a]!)) <= radius);
      const best = hits[0];
      // Reported, not asserted: detection quality is the evaluation's job, not this test's.
      console.log(
        best
          ? `[report] LUNA16 nodule (${d} mm) FOUND by ${best.id}: p=${best.probability}, rank ${doc.findings.indexOf(best) + 1} of ${doc.findings.length}, ${best.diameterMm} mm, ${best.type}, Lung-RADS ${best.lungRads}`
          : `[report] LUNA16 nodule (${d} mm) NOT found among ${doc.findings.length} candidates`,
      );
    }
    console.log(`[report] provider ${doc.executionProvider}, timings ${JSON.stringify(doc.timingsMs)}`);
  }, 600_000);
});
