/**
 * The cohort recipes in docs/cohort-eval run as written: each shard is a separate process started
 * with exactly the variable its scheduler sets (Kubernetes JOB_COMPLETION_INDEX, Slurm
 * SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT), on the real LIDC-IDRI-0001/0002 series with the
 * official LUNA16 CSVs and precomputed findings (no model run), and the merge of the shards must
 * give byte for byte the metrics.json of one unsharded run.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lidcStudy, missingData, repoRoot, sharedPath } from '../support/shared-data';

const UID_1 = '1.3.6.1.4.1.14519.5.2.1.6279.6001.179049373636438705059720603192';
const UID_2 = '1.3.6.1.4.1.14519.5.2.1.6279.6001.619372068417051974713149104919';
const MODEL = { name: 'test-detector', version: '0.0.1', sha256: '0'.repeat(64) };
const SHARDS = 2; // one series each: the real data has two

const skip = missingData(
  'ct/LIDC-IDRI-0001.tar.xz',
  'ct/LIDC-IDRI-0002.tar.xz',
  'ct/luna16-annotations.csv',
  'ct/luna16-annotations-excluded.csv',
);

const recipes = join(repoRoot, 'docs', 'cohort-eval');
const pulmolens = `${process.execPath} ${join(repoRoot, 'bin', 'pulmolens.mjs')}`;
let work: string;
let env: Record<string, string>;

function finding(id: string, centerLps: number[], probability: number) {
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

/** The script of the container: the YAML literal block under `args:` (`- |`). */
function k8sScript(): { script: string; completions: number; shardsEnv: string } {
  const lines = readFileSync(join(recipes, 'k8s-eval-indexed-job.yaml'), 'utf8').split('\n');
  const start = lines.findIndex(
    (l) => /^\s*-\s*\|\s*$/.test(l) && /^\s*args:\s*$/.test(lines[lines.indexOf(l) - 1] ?? ''),
  );
  expect(start).toBeGreaterThan(0);
  const indent = (l: string): number => l.length - l.trimStart().length;
  const body: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (l.trim() !== '' && indent(l) <= indent(lines[start]!)) break;
    body.push(l);
  }
  const pad = Math.min(...body.filter((l) => l.trim()).map(indent));
  const completions = Number(/completions:\s*(\d+)/.exec(lines.join('\n'))?.[1]);
  const shardsEnv = /name:\s*SHARDS,\s*value:\s*'(\d+)'/.exec(lines.join('\n'))?.[1] ?? '';
  return { script: body.map((l) => l.slice(pad)).join('\n'), completions, shardsEnv };
}

function run(cmd: string, args: string[], extraEnv: Record<string, string>) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env, ...extraEnv } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function mergeAndCompare(out: string): void {
  const merged = run(
    process.execPath,
    [
      join(repoRoot, 'bin', 'pulmolens.mjs'),
      'eval',
      '--merge',
      ...Array.from({ length: SHARDS }, (_, i) => join(out, `shard-${i}`)),
      '--out',
      join(out, 'all'),
    ],
    {},
  );
  expect(merged.stderr).toBe('');
  expect(merged.code).toBe(0);
  const single = run(
    process.execPath,
    [
      join(repoRoot, 'bin', 'pulmolens.mjs'),
      'eval',
      '--studies',
      env.STUDIES!,
      '--annotations',
      env.ANNOTATIONS!,
      '--excluded',
      env.EXCLUDED!,
      '--findings',
      env.FINDINGS!,
      '--out',
      join(out, 'unsharded'),
    ],
    {},
  );
  expect(single.code).toBe(0);
  const metrics = readFileSync(join(out, 'all', 'metrics.json'), 'utf8');
  expect(metrics).toBe(readFileSync(join(out, 'unsharded', 'metrics.json'), 'utf8'));
  expect(JSON.parse(metrics).data.series).toEqual([UID_1, UID_2]);
}

beforeAll(() => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'pulmolens-cohort-'));
  const studies = join(work, 'studies');
  const findings = join(work, 'findings');
  mkdirSync(studies);
  mkdirSync(findings);
  symlinkSync(lidcStudy('0001').seriesDir, join(studies, 'LIDC-IDRI-0001'));
  symlinkSync(lidcStudy('0002').seriesDir, join(studies, 'LIDC-IDRI-0002'));
  const nodule = readFileSync(sharedPath('ct/luna16-annotations.csv'), 'utf8')
    .split('\n')[1]!
    .split(',')
    .slice(1, 4)
    .map(Number);
  const doc = (uid: string, f: unknown[]) => ({
    seriesInstanceUid: uid,
    model: MODEL,
    executionProvider: 'cpu',
    timingsMs: {},
    findings: f,
  });
  writeFileSync(
    join(findings, `${UID_1}.json`),
    JSON.stringify(doc(UID_1, [finding('hit', nodule, 0.5), finding('fp', [0, 0, -300], 0.7)])),
  );
  writeFileSync(
    join(findings, `${UID_2}.json`),
    JSON.stringify(doc(UID_2, [finding('fp', [0, 0, -150], 0.6)])),
  );
  const noModels = join(work, 'no-models');
  mkdirSync(noModels);
  env = {
    STUDIES: studies,
    ANNOTATIONS: sharedPath('ct/luna16-annotations.csv'),
    EXCLUDED: sharedPath('ct/luna16-annotations-excluded.csv'),
    FINDINGS: findings,
    PULMOLENS_MODELS_DIR: noModels,
  };
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(skip)('cohort recipes (docs/cohort-eval)', () => {
  it('Slurm array: one process per SLURM_ARRAY_TASK_ID, merged = unsharded', () => {
    const out = join(work, 'slurm');
    for (let i = 0; i < SHARDS; i++) {
      const r = run('bash', [join(recipes, 'slurm-eval-array.sh')], {
        SLURM_ARRAY_TASK_ID: String(i),
        SLURM_ARRAY_TASK_COUNT: String(SHARDS),
        OUT: out,
        PULMOLENS: pulmolens,
      });
      expect(r.stderr).toMatch(/scan 1\/1 /);
      expect(r.code).toBe(0);
    }
    // Without the array variables the script refuses to run instead of scoring everything.
    const bare = run('bash', [join(recipes, 'slurm-eval-array.sh')], { OUT: out, PULMOLENS: pulmolens });
    expect(bare.code).not.toBe(0);
    expect(bare.stderr).toMatch(/SLURM_ARRAY_TASK_ID/);
    mergeAndCompare(out);
  });

  it('Kubernetes Indexed Job: the container script once per JOB_COMPLETION_INDEX, merged = unsharded', () => {
    const { script, completions, shardsEnv } = k8sScript();
    expect(shardsEnv).toBe(String(completions)); // the manifest keeps SHARDS = completions
    const out = join(work, 'k8s');
    for (let i = 0; i < SHARDS; i++) {
      const r = run('/bin/sh', ['-c', script], {
        JOB_COMPLETION_INDEX: String(i),
        SHARDS: String(SHARDS),
        OUT: out,
        PULMOLENS: pulmolens,
      });
      expect(r.stderr).toMatch(/scan 1\/1 /);
      expect(r.code).toBe(0);
    }
    mergeAndCompare(out);
  });
});
