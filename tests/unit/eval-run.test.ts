/**
 * The evaluation run with an injected analyser (a deterministic stand-in detector): resume after an
 * interruption, cache invalidation when the model changes, shards and their merge, and the
 * all-or-nothing output.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PulmoLensError } from '../../src/common/errors';
import { evaluate } from '../../src/core/eval/evaluate';
import { mergeEvaluations } from '../../src/core/eval/merge';
import { writeEvaluation } from '../../src/core/eval/outputs';
import { runEvaluation, type EvalProgress, type EvalStudy } from '../../src/core/eval/run-eval';
import { parseShard, selectShard } from '../../src/core/eval/shard';
import type { AnnotationIndex } from '../../src/common/eval';
import type { FindingsDocument, ModelRef } from '../../src/common/findings/findings-document';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'pulmolens-eval-run-'));
  dirs.push(d);
  return d;
}

const MODEL_A: ModelRef = { name: 'det', version: '1', sha256: 'a'.repeat(64) };
const MODEL_B: ModelRef = { name: 'det', version: '2', sha256: 'b'.repeat(64) };

// Seven series; even ones hold one nodule each, series 3 two.
const studies: EvalStudy[] = ['1.7', '1.3', '1.5', '1.1', '1.6', '1.2', '1.4'].map((seriesInstanceUid) => ({
  seriesInstanceUid,
}));
const annotations: AnnotationIndex = new Map([
  ['1.2', { nodules: [{ id: 'n2', centerLps: [10, 0, 0], diameterMm: 8 }], excluded: [] }],
  [
    '1.3',
    {
      nodules: [
        { id: 'n3a', centerLps: [0, 0, 0], diameterMm: 6 },
        { id: 'n3b', centerLps: [0, 40, 0], diameterMm: 6 },
      ],
      excluded: [{ id: 'x3', centerLps: [0, -40, 0], diameterMm: null }],
    },
  ],
  ['1.4', { nodules: [{ id: 'n4', centerLps: [5, 5, 5], diameterMm: 12 }], excluded: [] }],
  ['1.6', { nodules: [{ id: 'n6', centerLps: [-5, 0, 9], diameterMm: 5 }], excluded: [] }],
]);

/** Finds every nodule but the last of each series, plus one false positive, all at fixed probabilities. */
function detector(model: ModelRef, calls: string[], failOn?: string) {
  return async (study: EvalStudy): Promise<FindingsDocument> => {
    const uid = study.seriesInstanceUid;
    if (uid === failOn) throw new PulmoLensError('MODEL_RUNTIME', `simulated crash on ${uid}`);
    calls.push(uid);
    const seed = Number(uid.split('.')[1]);
    const nodules = annotations.get(uid)?.nodules ?? [];
    const hits = nodules.slice(0, Math.max(1, nodules.length - 1));
    const finding = (id: string, centerLps: [number, number, number], probability: number) => ({
      id,
      centerLps,
      centerVoxel: [0, 0, 0] as [number, number, number],
      probability,
      diameterMm: 6,
      longAxisMm: 6,
      shortAxisMm: 6,
      volumeMm3: 113,
      meanHu: 0,
      type: 'solid' as const,
      spiculated: false,
      malignancyRisk: 0.05,
      lungRads: '3' as const,
      fleischner: '',
    });
    return {
      seriesInstanceUid: uid,
      model,
      executionProvider: 'cpu',
      timingsMs: {},
      findings: [
        ...hits.map((n, i) => finding(`t${i}`, n.centerLps, 0.5 + seed / 20)),
        finding('fp', [200, 200, 200], 0.9 - seed / 10),
      ],
    };
  };
}

const base = { studies, annotations, annotationsSha256: 'f'.repeat(64), bootstrapSamples: 200 };

describe('eval run: resume and caching', () => {
  it('persists each scan, resumes after a crash, and recomputes when the model changes', async () => {
    const out = tmp();
    const calls: string[] = [];
    await expect(
      runEvaluation({
        ...base,
        outDir: out,
        analyze: detector(MODEL_A, calls, '1.4'),
        currentModelSha256: MODEL_A.sha256,
      }),
    ).rejects.toThrow(/simulated crash on 1\.4/);
    // Series are processed in UID order; the three before the crash are saved, nothing else is.
    expect(calls).toEqual(['1.1', '1.2', '1.3']);
    expect(readdirSync(join(out, 'findings')).sort()).toEqual(['1.1.json', '1.2.json', '1.3.json']);
    expect(existsSync(join(out, 'metrics.json'))).toBe(false);

    calls.length = 0;
    const progress: EvalProgress[] = [];
    const resumed = await runEvaluation({
      ...base,
      outDir: out,
      analyze: detector(MODEL_A, calls),
      currentModelSha256: MODEL_A.sha256,
      onProgress: (p) => progress.push(p),
    });
    expect(calls).toEqual(['1.4', '1.5', '1.6', '1.7']);
    expect(progress.map((p) => `${p.done}/${p.total} ${p.source}`)).toEqual([
      '1/7 resumed',
      '2/7 resumed',
      '3/7 resumed',
      '4/7 analysed',
      '5/7 analysed',
      '6/7 analysed',
      '7/7 analysed',
    ]);
    expect(progress.at(-1)!.remainingMs).toBe(0);

    // Identical to one uninterrupted run.
    const clean = await runEvaluation({ ...base, outDir: tmp(), analyze: detector(MODEL_A, []) });
    expect(resumed.evaluation.metrics).toEqual(clean.evaluation.metrics);
    expect(readFileSync(join(out, 'metrics.json'), 'utf8')).toBe(
      `${JSON.stringify(clean.evaluation.metrics, null, 2)}\n`,
    );

    // A new model invalidates every cached scan.
    calls.length = 0;
    const b = await runEvaluation({
      ...base,
      outDir: out,
      analyze: detector(MODEL_B, calls),
      currentModelSha256: MODEL_B.sha256,
    });
    expect(calls).toHaveLength(7);
    expect(b.evaluation.metrics.model).toEqual(MODEL_B);
  });

  it('recomputes cached scans when the characterizer changed under the same detector', async () => {
    // The finding scores are the characterizer's: findings it did not make are stale even though
    // the detector (findings.json `model`) is the same one.
    const CHAR_1: ModelRef = { name: 'char', version: '1', sha256: 'c'.repeat(64) };
    const CHAR_2: ModelRef = { name: 'char', version: '2', sha256: 'd'.repeat(64) };
    /** One evaluation into `outDir` by a pipeline with characterizer `ref`; the series it analysed. */
    const runWith = async (outDir: string, ref: ModelRef) => {
      const calls: string[] = [];
      const make = detector(MODEL_A, calls);
      await runEvaluation({
        ...base,
        outDir,
        analyze: async (study) => ({ ...(await make(study)), characterizer: ref }),
        currentModelSha256: MODEL_A.sha256,
        currentCharacterizerSha256: ref.sha256,
      });
      return calls;
    };
    const out = tmp();
    expect(await runWith(out, CHAR_1)).toHaveLength(7);
    expect(await runWith(out, CHAR_1)).toEqual([]);
    expect(await runWith(out, CHAR_2)).toHaveLength(7);
    // A cached document that does not say which characterizer made it is not taken as fresh either.
    const legacy = tmp();
    await runEvaluation({
      ...base,
      outDir: legacy,
      analyze: detector(MODEL_A, []),
      currentModelSha256: MODEL_A.sha256,
    });
    expect(await runWith(legacy, CHAR_2)).toHaveLength(7);
  });

  it('recomputes cached scans when the score fusion changed under the same detector and characterizer', async () => {
    // A fused probability is another score: findings scored with another fusion detector, or with
    // none while one runs now (and the reverse), are stale.
    const CHAR: ModelRef = { name: 'char', version: '1', sha256: 'c'.repeat(64) };
    const FUSE: ModelRef = { name: 'fuse', version: '1', sha256: 'e'.repeat(64) };
    const runWith = async (outDir: string, fusion: ModelRef | null) => {
      const calls: string[] = [];
      const make = detector(MODEL_A, calls);
      await runEvaluation({
        ...base,
        outDir,
        analyze: async (study) => ({
          ...(await make(study)),
          characterizer: CHAR,
          ...(fusion ? { fusionDetector: fusion } : {}),
        }),
        currentModelSha256: MODEL_A.sha256,
        currentCharacterizerSha256: CHAR.sha256,
        currentFusionDetectorSha256: fusion?.sha256 ?? null,
      });
      return calls;
    };
    const out = tmp();
    expect(await runWith(out, null)).toHaveLength(7);
    expect(await runWith(out, null)).toEqual([]);
    expect(await runWith(out, FUSE)).toHaveLength(7);
    expect(await runWith(out, FUSE)).toEqual([]);
    expect(await runWith(out, null)).toHaveLength(7);
  });

  it('takes precomputed findings (<uid>.json or <uid>/findings.json) before analysing', async () => {
    const pre = tmp();
    const make = detector(MODEL_A, []);
    writeFileSync(join(pre, '1.1.json'), JSON.stringify(await make({ seriesInstanceUid: '1.1' })));
    mkdirSync(join(pre, '1.2'));
    writeFileSync(
      join(pre, '1.2', 'findings.json'),
      JSON.stringify(await make({ seriesInstanceUid: '1.2' })),
    );
    writeFileSync(join(pre, '1.3.json'), JSON.stringify(await make({ seriesInstanceUid: '1.5' })));
    const calls: string[] = [];
    await expect(
      runEvaluation({ ...base, outDir: tmp(), findingsDir: pre, analyze: detector(MODEL_A, calls) }),
    ).rejects.toThrow(/findings are for series 1\.5, expected 1\.3/);
    rmSync(join(pre, '1.3.json'));
    const progress: string[] = [];
    await runEvaluation({
      ...base,
      outDir: tmp(),
      findingsDir: pre,
      analyze: detector(MODEL_A, calls),
      onProgress: (p) => progress.push(p.source),
    });
    expect(progress.slice(0, 3)).toEqual(['precomputed', 'precomputed', 'analysed']);
  });
});

describe('eval shards and merge', () => {
  it('numbers shards from 0 and takes every n-th series in UID order', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    for (const bad of ['3/3', '1/0', 'a/b', '1', '-1/2'])
      expect(() => parseShard(bad)).toThrow(/expected i\/n/);
    const uids = studies.map((s) => s.seriesInstanceUid);
    expect(selectShard(uids, (u) => u, { index: 1, count: 3 })).toEqual(['1.2', '1.5']);
    expect(selectShard(uids, (u) => u, undefined)).toEqual(['1.1', '1.2', '1.3', '1.4', '1.5', '1.6', '1.7']);
  });

  it('merges three shards into exactly the unsharded result, and refuses inconsistent folders', async () => {
    const full = await runEvaluation({ ...base, outDir: tmp(), analyze: detector(MODEL_A, []) });
    const shardDirs = [tmp(), tmp(), tmp()];
    for (const [index, outDir] of shardDirs.entries()) {
      await runEvaluation({ ...base, outDir, shard: { index, count: 3 }, analyze: detector(MODEL_A, []) });
    }
    const mergedDir = tmp();
    const merged = await mergeEvaluations({ dirs: shardDirs, outDir: mergedDir, bootstrapSamples: 200 });
    expect(merged.evaluation.metrics).toEqual(full.evaluation.metrics);
    // Pooled, not averaged: 5 nodules over 7 scans, whatever the shards' own figures were.
    expect(merged.evaluation.metrics.nodules).toBe(5);
    expect(merged.evaluation.metrics.scans).toBe(7);

    await expect(mergeEvaluations({ dirs: [shardDirs[0]!, shardDirs[0]!], outDir: tmp() })).rejects.toThrow(
      /is in both/,
    );
    await expect(mergeEvaluations({ dirs: shardDirs.slice(0, 2), outDir: tmp() })).rejects.toThrow(
      /series are in none of the folders.*expected 3 shards, got 2/,
    );
    const otherAnnotations = tmp();
    await runEvaluation({
      ...base,
      annotationsSha256: 'e'.repeat(64),
      outDir: otherAnnotations,
      shard: { index: 2, count: 3 },
      analyze: detector(MODEL_A, []),
    });
    await expect(
      mergeEvaluations({ dirs: [shardDirs[0]!, shardDirs[1]!, otherAnnotations], outDir: tmp() }),
    ).rejects.toThrow(/annotations sha256 differs/);
    const otherModel = tmp();
    await runEvaluation({
      ...base,
      outDir: otherModel,
      shard: { index: 2, count: 3 },
      analyze: detector(MODEL_B, []),
    });
    await expect(
      mergeEvaluations({ dirs: [shardDirs[0]!, shardDirs[1]!, otherModel], outDir: tmp() }),
    ).rejects.toThrow(/one evaluation scores one model/);
    await expect(mergeEvaluations({ dirs: [tmp()], outDir: tmp() })).rejects.toThrow(
      /not an evaluation output folder/,
    );
  });
});

describe('eval merge of runs split by hand', () => {
  it('merges unsharded runs on disjoint study sets into the run on all of them', async () => {
    const full = await runEvaluation({ ...base, outDir: tmp(), analyze: detector(MODEL_A, []) });
    const a = tmp();
    const b = tmp();
    await runEvaluation({ ...base, studies: studies.slice(0, 3), outDir: a, analyze: detector(MODEL_A, []) });
    await runEvaluation({ ...base, studies: studies.slice(3), outDir: b, analyze: detector(MODEL_A, []) });
    const merged = await mergeEvaluations({ dirs: [b, a], outDir: tmp(), bootstrapSamples: 200 });
    expect(merged.evaluation.metrics).toEqual(full.evaluation.metrics);
  });
});

describe('eval output', () => {
  it('writes nothing that marks a result when a file cannot be written, and leaves no temporary files', async () => {
    const out = tmp();
    mkdirSync(join(out, 'froc.png')); // a folder where a file must go: its rename fails
    writeFileSync(join(out, 'froc.png', 'keep'), '');
    const records = [
      {
        seriesInstanceUid: '1.1',
        model: MODEL_A,
        candidates: [{ id: 'c', centerLps: [0, 0, 0] as [number, number, number], probability: 0.5 }],
        annotations: {
          nodules: [{ id: 'n', centerLps: [0, 0, 0] as [number, number, number], diameterMm: 5 }],
          excluded: [],
        },
      },
    ];
    const e = evaluate(records, { annotationsSha256: 'x', bootstrapSamples: 10 });
    const run = {
      schemaVersion: 1 as const,
      annotationsSha256: 'x',
      threshold: null,
      shard: null,
      cohortSeries: ['1.1'],
    };
    const err = await writeEvaluation(out, e, records, run).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(PulmoLensError);
    expect((err as PulmoLensError).code).toBe('IO_ERROR');
    expect(existsSync(join(out, 'metrics.json'))).toBe(false);
    expect(readdirSync(out).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});
