/**
 * End-to-end `pulmolens eval` on the two real LIDC-IDRI series with the official LUNA16 CSVs. The
 * detector is simulated by findings files built from the LUNA16 CSV (a perfect hit, a duplicate
 * hit, a hit on an excluded mark, and false positives), so every figure is known by hand.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding, FindingsDocument } from '../../src/common/findings/findings-document';
import type { Vec3 } from '../../src/common/volume';
import { lidcStudy, missingData, repoRoot, sharedPath } from '../support/shared-data';

const UID_1 = '1.3.6.1.4.1.14519.5.2.1.6279.6001.179049373636438705059720603192';
const UID_2 = '1.3.6.1.4.1.14519.5.2.1.6279.6001.619372068417051974713149104919';
const MODEL = { name: 'test-detector', version: '0.0.1', sha256: '0'.repeat(64) };

const skip = missingData(
  'ct/LIDC-IDRI-0001.tar.xz',
  'ct/LIDC-IDRI-0002.tar.xz',
  'ct/luna16-annotations.csv',
  'ct/luna16-annotations-excluded.csv',
);

/**
 * Runs the CLI. Unless a test names --models, it gets an empty models folder: the model is then
 * unknown, so the simulated findings are scored as given whatever models/ holds on this machine.
 */
function cli(...args: string[]): { code: number; stdout: string; stderr: string } {
  const withModels =
    args.includes('--models') || args.includes('--merge') ? args : [...args, '--models', noModels];
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin/pulmolens.mjs'), ...withModels], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function finding(id: string, centerLps: Vec3, probability: number): Finding {
  return {
    id,
    centerLps,
    centerVoxel: [0, 0, 0],
    probability,
    diameterMm: 8,
    longAxisMm: 8,
    shortAxisMm: 8,
    volumeMm3: 268,
    meanHu: 20,
    type: 'solid',
    spiculated: false,
    malignancyRisk: 0.1,
    lungRads: '4A',
    fleischner: '',
  };
}

function doc(uid: string, findings: Finding[]): FindingsDocument {
  return { seriesInstanceUid: uid, model: MODEL, executionProvider: 'cpu', timingsMs: {}, findings };
}

function withNoise(imageNoise: FindingsDocument['imageNoise'], d: FindingsDocument): FindingsDocument {
  return { ...d, imageNoise };
}

function csvRows(path: string, uid: string): number[][] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith(`${uid},`))
    .map((l) => l.split(',').slice(1).map(Number));
}

let work: string;
let studies: string;
let studiesWithXml: string;
let findings: string;
let noModels: string;
const annotations = sharedPath('ct/luna16-annotations.csv');
const excluded = sharedPath('ct/luna16-annotations-excluded.csv');

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

beforeAll(() => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'pulmolens-eval-'));
  studies = join(work, 'studies');
  studiesWithXml = join(work, 'studies-xml');
  findings = join(work, 'findings');
  noModels = join(work, 'no-models');
  for (const d of [studies, studiesWithXml, findings, noModels]) mkdirSync(d);
  const s1 = lidcStudy('0001');
  const s2 = lidcStudy('0002');
  symlinkSync(s1.seriesDir, join(studies, 'LIDC-IDRI-0001'));
  symlinkSync(s2.seriesDir, join(studies, 'LIDC-IDRI-0002'));
  symlinkSync(s1.root, join(studiesWithXml, 'LIDC-IDRI-0001'));
  symlinkSync(s2.root, join(studiesWithXml, 'LIDC-IDRI-0002'));

  const [nodule] = csvRows(annotations, UID_1) as [number[]];
  const [x, y, z] = nodule as [number, number, number];
  const [ex1] = csvRows(excluded, UID_1).filter((r) => r[3] === -1) as [number[]];
  const [ex2] = csvRows(excluded, UID_2).filter((r) => r[3] === -1) as [number[]];
  // Image noise as the analysis measures it: LIDC-IDRI-0001 here as if it were a noisy (low-dose)
  // scan, LIDC-IDRI-0002 within the models' validated noise.
  const noise = (noduleScaleSdHu: number): FindingsDocument['imageNoise'] => ({
    sigmaMm: 1,
    softTissueHu: [-150, 150],
    measured: true,
    patches: 100,
    softTissueSdHu: 3 * noduleScaleSdHu,
    noduleScaleSdHu,
    validatedMaxHu: 11.21,
    aboveValidated: noduleScaleSdHu > 11.21,
  });
  writeFileSync(
    join(findings, `${UID_1}.json`),
    JSON.stringify(
      withNoise(
        noise(16),
        doc(UID_1, [
          finding('hit', [x, y, z], 0.5), // the nodule: TP
          finding('fp-a', [x, y, z + 60], 0.8), // 60 mm away: FP
          finding('dup', [x + 3, y, z], 0.4), // the nodule again: ignored (duplicate)
          finding('on-excluded', [ex1[0]!, ex1[1]!, ex1[2]!], 0.95), // LUNA16 excluded mark: ignored
        ]),
      ),
    ),
  );
  writeFileSync(
    join(findings, `${UID_2}.json`),
    JSON.stringify(
      withNoise(
        noise(3.3),
        doc(UID_2, [
          finding('fp-b', [0, 0, -150], 0.6),
          finding('fp-c', [40, -40, -200], 0.3),
          finding('on-excluded', [ex2[0]!, ex2[1]!, ex2[2]!], 0.99),
        ]),
      ),
    ),
  );
});

describe.skipIf(skip)('pulmolens eval (LIDC-IDRI-0001/0002, LUNA16 CSVs)', () => {
  it('writes metrics.json with the hand-computed FROC, CPM and F1, the plots and the candidate CSV', () => {
    const out = join(work, 'full');
    const r = cli('eval', '--studies', studies, '--annotations', annotations, '--excluded', excluded);
    expect(r.code).not.toBe(0); // --out is required
    const run = cli(
      'eval',
      '--studies',
      studies,
      '--annotations',
      annotations,
      '--excluded',
      excluded,
      '--findings',
      findings,
      '--out',
      out,
    );
    expect(run.stderr).toMatch(/scan 1\/2 .*elapsed .*remaining/);
    expect(run.stderr).toMatch(/scan 2\/2 /);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/CPM 0\.571/);

    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(Object.keys(m)).toEqual([
      'scans',
      'nodules',
      'froc',
      'cpm',
      'cpmCI95',
      'operatingPoint',
      'operatingPointSource',
      'operatingPointCI95',
      'tunedOperatingPoint',
      'confidenceNote',
      'trainingScans',
      'perScan',
      'model',
      'data',
      'reference',
      'subgroups',
      'sizeAgreement',
    ]);
    expect(m.scans).toBe(2);
    expect(m.nodules).toBe(1);
    // Scored: .8 FP, .6 FP, .5 TP, .3 FP over 2 scans: FROC (0,0) (.5,0) (1,0) (1,1) (1.5,1).
    expect(m.froc).toEqual({ fpPerScan: [0.125, 0.25, 0.5, 1, 2, 4, 8], sensitivity: [0, 0, 0, 1, 1, 1, 1] });
    expect(m.cpm).toBeCloseTo(4 / 7, 12);
    // One nodule in two scans: no interval, and words saying why.
    expect(m.cpmCI95).toBeNull();
    expect(m.confidenceNote).toMatch(/^not meaningful: 1 nodule in 2 scans/);
    expect(run.stdout).toContain('95% intervals not meaningful: 1 nodule in 2 scans');
    // No model manifest here: the F1-maximising threshold, labelled as tuned on this set.
    expect(m.operatingPointSource).toEqual({
      kind: 'tuned',
      label: 'tuned on this set (optimistic): no model manifest',
    });
    expect(m.operatingPoint).toEqual({
      threshold: 0.5,
      recall: 1,
      precision: 1 / 3,
      f1: 0.5,
      fpPerScan: 1,
      tp: 1,
      fp: 2,
      fn: 0,
    });
    expect(m.perScan).toEqual([
      { seriesInstanceUid: UID_1, trainingScan: false, tp: 1, fp: 1, fn: 0, missed: [] },
      { seriesInstanceUid: UID_2, trainingScan: false, tp: 0, fp: 1, fn: 0, missed: [] },
    ]);
    expect(m.model).toEqual(MODEL);
    expect(m.data.series).toEqual([UID_1, UID_2]);
    // The fingerprint covers both files, in order (for one file it is that file's sha256sum).
    const sha = createHash('sha256')
      .update(readFileSync(annotations))
      .update(readFileSync(excluded))
      .digest('hex');
    expect(m.data.annotationsSha256).toBe(sha);

    const csv = readFileSync(join(out, 'candidates.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe(
      'seriesuid,candidateId,coordX,coordY,coordZ,probability,match,reason,markId,distanceMm,aboveThreshold',
    );
    const byId = new Map(csv.slice(1).map((l) => [`${l.split(',')[0]}/${l.split(',')[1]}`, l.split(',')]));
    expect(byId.size).toBe(7);
    expect(byId.get(`${UID_1}/hit`)?.slice(6)).toEqual([
      'TP',
      'hit',
      'luna16-annotations.csv:2',
      '0.000',
      '1',
    ]);
    expect(byId.get(`${UID_1}/dup`)?.slice(6)).toEqual([
      'ignored',
      'duplicate',
      'luna16-annotations.csv:2',
      '3.000',
      '0',
    ]);
    expect(byId.get(`${UID_1}/on-excluded`)?.slice(6, 8)).toEqual(['ignored', 'excluded']);
    expect(byId.get(`${UID_1}/fp-a`)?.slice(6)).toEqual(['FP', '', '', '', '1']);
    expect(byId.get(`${UID_2}/fp-c`)?.slice(6)).toEqual(['FP', '', '', '', '0']);

    const svg = readFileSync(join(out, 'froc.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(XMLValidator.validate(svg)).toBe(true);
    const points = [...svg.matchAll(/class="froc-point" cx="([\d.]+)" cy="([\d.]+)"/g)].map((p) => [
      Number(p[1]),
      Number(p[2]),
    ]);
    expect(points).toHaveLength(7);
    // Sensitivity 0 for the first three FP rates, 1 from 1 FP/scan on: two heights only.
    expect(new Set(points.map((p) => p[1])).size).toBe(2);

    const png = PNG.sync.read(readFileSync(join(out, 'froc.png')));
    expect([png.width, png.height]).toEqual([640, 480]);
    const rgb = (x: number, y: number): number[] => [
      ...png.data.subarray((y * 640 + x) * 4, (y * 640 + x) * 4 + 3),
    ];
    // The SVG's marker centres, drawn in the curve's colour in the PNG too.
    for (const [x, y] of points) expect(rgb(Math.round(x!), Math.round(y!))).toEqual([31, 95, 191]);
    expect(rgb(5, 5)).toEqual([255, 255, 255]);

    // What shards and merges read back.
    expect(existsSync(join(out, 'scans.jsonl'))).toBe(true);
    expect(readdirSync(join(out, 'findings')).sort()).toEqual([`${UID_1}.json`, `${UID_2}.json`]);
  });

  it('resumes from its own folder: a rerun without --findings reuses every finished scan', () => {
    const out = join(work, 'resume');
    const args = [
      'eval',
      '--studies',
      studies,
      '--annotations',
      annotations,
      '--excluded',
      excluded,
      '--out',
      out,
    ];
    expect(cli(...args, '--findings', findings).code).toBe(0);
    const first = readFileSync(join(out, 'metrics.json'), 'utf8');
    const again = cli(...args);
    expect(again.stderr).toMatch(/scan 1\/2 \S+ \(resumed\)/);
    expect(again.code).toBe(0);
    expect(readFileSync(join(out, 'metrics.json'), 'utf8')).toBe(first);
  });

  it('runs the detector only for series without findings, and says clearly when it has no model', () => {
    const partial = join(work, 'partial-findings');
    mkdirSync(partial);
    writeFileSync(join(partial, `${UID_1}.json`), readFileSync(join(findings, `${UID_1}.json`)));
    const out = join(work, 'partial');
    const r = cli(
      'eval',
      '--studies',
      studies,
      '--annotations',
      annotations,
      '--findings',
      partial,
      '--out',
      out,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/scan 1\/2 \S+ \(precomputed\)/);
    expect(r.stderr).toContain(`error [MODEL_MISSING] ${join(noModels, 'manifest.json')}: no model manifest`);
    expect(existsSync(join(out, 'metrics.json'))).toBe(false);
  });

  it('merging two shards gives exactly the unsharded metrics', () => {
    const base = [
      '--studies',
      studies,
      '--annotations',
      annotations,
      '--excluded',
      excluded,
      '--findings',
      findings,
    ];
    const full = join(work, 'unsharded');
    const a = join(work, 'shard0');
    const b = join(work, 'shard1');
    const merged = join(work, 'merged');
    expect(cli('eval', ...base, '--out', full).code).toBe(0);
    expect(cli('eval', ...base, '--shard', '0/2', '--out', a).code).toBe(0);
    expect(cli('eval', ...base, '--shard', '1/2', '--out', b).code).toBe(0);
    expect(JSON.parse(readFileSync(join(a, 'metrics.json'), 'utf8')).data.series).toEqual([UID_1]);
    expect(JSON.parse(readFileSync(join(b, 'metrics.json'), 'utf8')).data.series).toEqual([UID_2]);

    const incomplete = cli('eval', '--merge', a, '--out', join(work, 'merged-incomplete'));
    expect(incomplete.code).toBe(1);
    expect(incomplete.stderr).toMatch(/1 of 2 series are in none of the folders/);

    const r = cli('eval', '--merge', a, b, '--out', merged);
    expect(r.code).toBe(0);
    for (const f of ['metrics.json', 'candidates.csv', 'froc.svg', 'scans.jsonl']) {
      expect(readFileSync(join(merged, f), 'utf8')).toBe(readFileSync(join(full, f), 'utf8'));
    }
    expect(readFileSync(join(merged, 'froc.png')).equals(readFileSync(join(full, 'froc.png')))).toBe(true);
  });

  it('scores against the LIDC reader XML found next to the series (--lidc-xml)', () => {
    const out = join(work, 'lidc');
    const r = cli('eval', '--studies', studiesWithXml, '--lidc-xml', '--findings', findings, '--out', out);
    expect(r.code).toBe(0);
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(m.nodules).toBe(1); // 0001's nodule (4 readers); 0002's has 2 readers, excluded at k = 3
    expect(m.operatingPoint).toMatchObject({ tp: 1, fn: 0 });
    const k2 = cli(
      'eval',
      '--studies',
      studiesWithXml,
      '--lidc-xml',
      '--readers',
      '2',
      '--findings',
      findings,
      '--out',
      join(work, 'lidc-k2'),
    );
    expect(k2.code).toBe(0);
    expect(JSON.parse(readFileSync(join(work, 'lidc-k2', 'metrics.json'), 'utf8')).nodules).toBe(2);
  });

  it('scores the studies present when the LUNA16 annotations cover many more series (issue 13)', () => {
    // The official files list 888 scans; a site has a few of them. Rows for three other series
    // (real LUNA16 UIDs) are appended to the real rows for LIDC-IDRI-0001/0002.
    const others = [
      '1.3.6.1.4.1.14519.5.2.1.6279.6001.100225287222365663678666836860',
      '1.3.6.1.4.1.14519.5.2.1.6279.6001.100332161840553388986847034053',
      '1.3.6.1.4.1.14519.5.2.1.6279.6001.100398138793540579077826395208',
    ];
    const big = join(work, 'annotations-cohort.csv');
    writeFileSync(
      big,
      readFileSync(annotations, 'utf8') +
        others.map((u, i) => `${u},${-100 + i},${50 + i},${-120 - i},${5 + i}\n`).join(''),
    );
    const bigExcluded = join(work, 'annotations-excluded-cohort.csv');
    writeFileSync(bigExcluded, readFileSync(excluded, 'utf8') + `${others[0]},1,2,3,-1\n`);
    const base = ['eval', '--studies', studies, '--annotations', big, '--findings', findings];

    const out = join(work, 'cohort');
    const r = cli(...base, '--excluded', bigExcluded, '--out', out);
    expect(r.stderr).not.toContain('ANNOTATIONS_INVALID');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      '3 annotated series are not among the studies (scored the 2 present; --strict makes this an error)',
    );
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(m.scans).toBe(2);
    expect(m.nodules).toBe(1);
    expect(m.cpm).toBeCloseTo(4 / 7, 12);
    expect(m.reference).toEqual({
      annotatedSeriesNotFound: 3,
      seriesWithoutAnnotations: [],
      seriesList: null,
    });

    // Without the excluded list, LIDC-IDRI-0002 has no row at all: nodule-free, and said so.
    const noRows = join(work, 'cohort-no-excluded');
    const n = cli(...base, '--out', noRows);
    expect(n.code).toBe(0);
    expect(n.stderr).toContain(`1 study has no annotation row (counted as nodule-free): ${UID_2}`);
    const mn = JSON.parse(readFileSync(join(noRows, 'metrics.json'), 'utf8'));
    expect(mn.reference.seriesWithoutAnnotations).toEqual([UID_2]);
    expect(mn.scans).toBe(2);

    // --strict: the unknown series are an error naming the file and line; nothing is written.
    const strictOut = join(work, 'cohort-strict');
    const s = cli(...base, '--strict', '--out', strictOut);
    expect(s.code).toBe(1);
    expect(s.stderr).toContain(`error [ANNOTATIONS_INVALID] ${big}: line 3: unknown series ${others[0]}`);
    expect(existsSync(join(strictOut, 'metrics.json'))).toBe(false);
  });

  it('--seriesuids restricts the evaluation to the listed scans (LUNA16 seriesuids.csv)', () => {
    const list = join(work, 'seriesuids.csv');
    // LUNA16's file: one UID a line, no header; here 0001 and a series this site does not have.
    writeFileSync(list, `${UID_1}\n1.3.6.1.4.1.14519.5.2.1.6279.6001.100225287222365663678666836860\n`);
    const out = join(work, 'listed');
    const r = cli(
      'eval',
      '--studies',
      studies,
      '--annotations',
      annotations,
      '--excluded',
      excluded,
      '--findings',
      findings,
      '--seriesuids',
      list,
      '--out',
      out,
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('1 study is not in the series list and was left out');
    expect(r.stderr).toContain('1 listed series is not among the studies');
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(m.scans).toBe(1);
    expect(m.data.series).toEqual([UID_1]);
    expect(m.reference.seriesList).toEqual({ listed: 2, notFound: 1, studiesNotListed: 1 });
    expect(m.operatingPoint).toMatchObject({ tp: 1, fp: 1, fn: 0 });

    const bad = join(work, 'seriesuids-bad.csv');
    writeFileSync(bad, `${UID_1}\nnot a uid\n`);
    const b = cli(
      'eval',
      '--studies',
      studies,
      '--annotations',
      annotations,
      '--findings',
      findings,
      '--seriesuids',
      bad,
      '--out',
      join(work, 'listed-bad'),
    );
    expect(b.code).toBe(1);
    expect(b.stderr).toContain(`error [ANNOTATIONS_INVALID] ${bad}: line 2: not a series UID ("not a uid")`);
  });

  it("scores at the manifest's operating point and leaves the model's training scans out (issue 13)", () => {
    // The shipped manifest, as model contract v2 extends it: an operating point chosen on a
    // validation set and the training scans (here LIDC-IDRI-0002, which the shipped model was trained on).
    const models = join(work, 'models-v2');
    mkdirSync(models);
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'models', 'manifest.json'), 'utf8'));
    manifest.models.detector.sha256 = MODEL.sha256; // the model that made the simulated findings
    manifest.operatingPoint = {
      threshold: 0.55,
      score: 'characterizer p_nodule',
      chosenOn: 'synthetic validation seeds',
      criterion: 'max F1',
    };
    manifest.trainingSeriesUids = [UID_2];
    writeFileSync(join(models, 'manifest.json'), JSON.stringify(manifest));
    const base = ['eval', '--studies', studies, '--annotations', annotations, '--excluded', excluded];
    const args = [...base, '--findings', findings, '--models', models];

    const out = join(work, 'manifest-op');
    const r = cli(...args, '--out', out);
    expect(r.code).toBe(0);
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(m.trainingScans).toEqual({ listed: true, series: [UID_2], inFigures: false });
    expect(r.stdout).toContain(
      `1 training scan(s) of this model left out of the figures (--include-training-scans to score them): ${UID_2}`,
    );
    expect(m.scans).toBe(1);
    expect(m.data.series).toEqual([UID_1]);
    expect(m.operatingPointSource.kind).toBe('manifest');
    expect(r.stdout).toContain(
      'operating point [model manifest operating point (chosen on synthetic validation seeds, max F1)]: threshold 0.550',
    );
    // UID_1 at .55: the FP at .8 only (the nodule's hit is .5): recall 0.
    expect(m.operatingPoint).toEqual({
      threshold: 0.55,
      recall: 0,
      precision: 0,
      f1: 0,
      fpPerScan: 1,
      tp: 0,
      fp: 1,
      fn: 1,
    });
    // Tuned on this set: .5 catches the nodule (F1 2/3) — the optimistic figure, labelled so.
    expect(m.tunedOperatingPoint).toMatchObject({
      threshold: 0.5,
      tp: 1,
      fp: 1,
      label: 'tuned on this set (optimistic)',
    });
    expect(r.stdout).toMatch(/tuned on this set \(optimistic\): threshold 0\.500, recall 1\.000/);

    const all = join(work, 'manifest-op-all');
    const i = cli(...args, '--include-training-scans', '--out', all);
    expect(i.code).toBe(0);
    const mi = JSON.parse(readFileSync(join(all, 'metrics.json'), 'utf8'));
    expect(mi.scans).toBe(2);
    expect(mi.trainingScans.inFigures).toBe(true);
    expect(mi.perScan.map((p: { trainingScan: boolean }) => p.trainingScan)).toEqual([false, true]);
    expect(mi.operatingPoint).toMatchObject({ threshold: 0.55, tp: 0, fp: 2, fn: 1 });
  });

  it('subgroups from the DICOM headers and size agreement against the LIDC readers (issue 13)', () => {
    const out = join(work, 'lidc-audit');
    const r = cli('eval', '--studies', studiesWithXml, '--lidc-xml', '--findings', findings, '--out', out);
    expect(r.code).toBe(0);
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    const dim = (name: string) =>
      m.subgroups.dimensions.find((d: { dimension: string }) => d.dimension === name);
    const row = (name: string, group: string) =>
      dim(name).rows.find((x: { group: string }) => x.group === group);
    expect(m.subgroups.threshold).toBe(m.operatingPoint.threshold);
    // LIDC-IDRI-0001: 2.5 mm slices, its nodule (23-25 mm by the four readers) found at 0.5;
    // LIDC-IDRI-0002: 1.25 mm slices, no nodule at k = 3. Both GE, STANDARD kernel, sex not given.
    expect(m.operatingPoint.threshold).toBe(0.5);
    expect(row('nodule diameter', '20-30 mm')).toMatchObject({
      scans: 1,
      nodules: 1,
      detected: 1,
      sensitivity: 1,
    });
    expect(row('nodule diameter', '20-30 mm').ciNote).toMatch(/^not meaningful: 1 nodule in 1 scan /);
    expect(row('nodule diameter', '3-6 mm')).toMatchObject({ nodules: 0, sensitivity: null });
    // The readers rated its texture 5, 5, 5 and 4: solid (LUNA16's CSV has no type, LIDC XML does).
    expect(row('nodule type', 'solid')).toMatchObject({ nodules: 1, detected: 1 });
    expect(row('slice thickness', '<=2.5 mm')).toMatchObject({ scans: 1, nodules: 1, detected: 1 });
    expect(row('slice thickness', '<=1.25 mm')).toMatchObject({ scans: 1, nodules: 0 });
    expect(dim('manufacturer').rows).toHaveLength(1);
    expect(dim('manufacturer').rows[0]).toMatchObject({ group: 'GE MEDICAL SYSTEMS', scans: 2 });
    expect(dim('reconstruction kernel').rows[0]).toMatchObject({ group: 'STANDARD', scans: 2 });
    // The noise audit files each scan under the analysis' own verdict: the "noisy" LIDC-IDRI-0001
    // with its nodule and its false positive at 0.8, LIDC-IDRI-0002 with its false positive at 0.6.
    expect(dim('image noise').rows.map((x: { group: string }) => x.group)).toEqual([
      'within validated noise',
      'above validated noise',
    ]);
    expect(row('image noise', 'above validated noise')).toMatchObject({
      scans: 1,
      nodules: 1,
      detected: 1,
      falsePositives: 1,
    });
    expect(row('image noise', 'within validated noise')).toMatchObject({
      scans: 1,
      nodules: 0,
      falsePositives: 1,
    });
    expect(r.stdout).toMatch(/slice thickness\s+<=2\.5 mm\s+1\s+1\s+1\s+1\.000 \(CI not meaningful\)/);

    // The hit measured 8 mm (the simulated finding) against the readers' contour-derived sizes.
    const [pair] = m.sizeAgreement.pairs;
    expect(m.sizeAgreement.pairs).toHaveLength(1);
    expect(pair).toMatchObject({
      seriesInstanceUid: UID_1,
      candidateId: 'hit',
      measuredDiameterMm: 8,
      measuredVolumeMm3: 268,
    });
    expect(pair.readerDiametersMm).toHaveLength(4);
    for (const d of pair.readerDiametersMm) {
      expect(d).toBeGreaterThan(22);
      expect(d).toBeLessThan(25);
    }
    const mean = pair.readerDiametersMm.reduce((a: number, b: number) => a + b, 0) / 4;
    expect(pair.referenceDiameterMm).toBeCloseTo(mean, 9);
    expect(m.sizeAgreement.diameterMm).toMatchObject({ n: 1, sdDifference: null, limitsOfAgreement: null });
    expect(m.sizeAgreement.diameterMm.meanDifference).toBeCloseTo(8 - mean, 9);
    expect(m.sizeAgreement.volumeMm3.meanDifference).toBeCloseTo(268 - pair.referenceVolumeMm3, 6);
    expect(m.sizeAgreement.readers).toMatchObject({ nodules: 1, measuredWithinReaderRange: 0 });
    expect(m.sizeAgreement.readers.meanReaderSdDiameterMm).toBeGreaterThan(0.5);
    const svg = readFileSync(join(out, 'bland-altman.svg'), 'utf8');
    expect(XMLValidator.validate(svg)).toBe(true);
    expect(svg.match(/class="froc-point"/g)).toHaveLength(1);
    expect(PNG.sync.read(readFileSync(join(out, 'bland-altman.png'))).width).toBe(640);
  });

  it('report.html: self-contained, the same figures as metrics.json, a key image per false positive and miss', () => {
    const out = join(work, 'report');
    const r = cli(
      'eval',
      '--studies',
      studies,
      '--annotations',
      annotations,
      '--excluded',
      excluded,
      '--findings',
      findings,
      '--out',
      out,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`wrote ${join(out, 'report.html')}`);
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    // Nothing to fetch: no external URL in src/href, no linked stylesheet or script, no script that runs.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toMatch(/<link|<script(?! type="application\/json")/);
    expect(html).toContain("default-src 'none'");
    // Every number shown is metrics.json's, by path.
    const at = (path: string): unknown =>
      path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], m);
    const shown = [...html.matchAll(/data-metric="([^"]+)" data-value="([^"]*)"/g)];
    expect(shown.length).toBeGreaterThan(40);
    for (const [, path, value] of shown)
      expect([path, JSON.parse(value!.replace(/&quot;/g, '"'))]).toEqual([path, at(path!)]);
    for (const path of [
      'cpm',
      'operatingPoint.recall',
      'operatingPoint.fpPerScan',
      'tunedOperatingPoint.f1',
      'froc.sensitivity.3',
      'sizeAgreement.diameterMm.meanDifference',
    ]) {
      expect(shown.some(([, p]) => p === path)).toBe(true);
    }
    expect(html).toContain(`data-metric="subgroups.dimensions.0.rows.3.sensitivity" data-value="1"`);
    const embedded = /<script type="application\/json" id="metrics-json">(.*?)<\/script>/s.exec(html)![1]!;
    expect(JSON.parse(embedded)).toEqual(m);
    expect(html).toContain('tuned on this set (optimistic)');
    expect(html).toContain('not meaningful: 1 nodule in 2 scans');

    // At threshold .5: the false positives fp-a (.8, 0001) and fp-b (.6, 0002); no miss.
    const spots = [
      ...html.matchAll(
        /data-spot-kind="([^"]+)" data-spot-key="([^"]+)"><img [^>]*src="data:image\/png;base64,([^"]+)"/g,
      ),
    ];
    expect(spots.map((s) => s[2])).toEqual([`${UID_1}/fp/fp-a`, `${UID_2}/fp/fp-b`]);
    for (const [, kind, , b64] of spots) {
      expect(kind).toBe('false positive');
      const png = PNG.sync.read(Buffer.from(b64!, 'base64'));
      expect([png.width, png.height]).toEqual([128, 128]);
      const px = (x: number, y: number): number[] => [
        ...png.data.subarray((y * 128 + x) * 4, (y * 128 + x) * 4 + 3),
      ];
      // The circle is drawn in red around the centre; the image itself is grey (lung window).
      const red = [...Array(128 * 128).keys()].filter((i) => {
        const [rr, gg, bb] = px(i % 128, Math.floor(i / 128));
        return rr === 230 && gg === 40 && bb === 40;
      });
      expect(red.length).toBeGreaterThan(50);
      const [cr, cg, cb] = px(64, 64);
      expect(cr).toBe(cg);
      expect(cg).toBe(cb);
    }
    // The 0001 false positive is 60 mm above the nodule, inside the body: not all air in lung window.
    const fpA = PNG.sync.read(Buffer.from(spots[0]![3]!, 'base64'));
    const greys = new Set<number>();
    for (let i = 0; i < fpA.data.length; i += 4) greys.add(fpA.data[i]!);
    expect(greys.size).toBeGreaterThan(20);
  });

  it('rejects a bad CSV naming the file and line, and writes nothing', () => {
    const bad = join(work, 'bad.csv');
    writeFileSync(bad, `seriesuid,coordX,coordY,coordZ,diameter_mm\n${UID_1},1,2,3,4\n${UID_1},1,two,3,4\n`);
    const out = join(work, 'bad-out');
    const r = cli('eval', '--studies', studies, '--annotations', bad, '--findings', findings, '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error [ANNOTATIONS_INVALID] ${bad}: line 3: coordY is not a number ("two")`);
    expect(existsSync(out)).toBe(false);

    const unknown = join(work, 'unknown.csv');
    writeFileSync(unknown, `seriesuid,coordX,coordY,coordZ,diameter_mm\n1.2.3.4,1,2,3,4\n`);
    const u = cli(
      'eval',
      '--studies',
      studies,
      '--annotations',
      unknown,
      '--findings',
      findings,
      '--strict',
      '--out',
      out,
    );
    expect(u.stderr).toContain(`${unknown}: line 2: unknown series 1.2.3.4`);
    expect(existsSync(out)).toBe(false);

    const missing = join(work, 'missing.csv');
    writeFileSync(missing, `seriesuid,coordX,coordY,diameter_mm\n${UID_1},1,2,4\n`);
    const mc = cli(
      'eval',
      '--studies',
      studies,
      '--annotations',
      missing,
      '--findings',
      findings,
      '--out',
      out,
    );
    expect(mc.stderr).toContain(`${missing}: line 1: missing column coordZ`);
    expect(existsSync(out)).toBe(false);
  });
});
