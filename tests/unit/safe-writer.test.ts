/**
 * Writers never replace or remove a file they did not create in this run: the shared OutputWriter,
 * and `eval --out`, whose own earlier folder it may update (resume) but never a foreign one.
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
import { OutputWriter } from '../../src/core/io/safe-writer';
import { claimEvalFolder, EVAL_MARKER } from '../../src/core/eval/output-folder';
import { runEvaluation } from '../../src/core/eval/run-eval';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'pl-safe-writer-'));
  dirs.push(d);
  return d;
}

describe('OutputWriter', () => {
  it('refuses a set whose file exists (OUTPUT_EXISTS naming it) and writes none of the set', async () => {
    const d = tmp();
    writeFileSync(join(d, 'b.csv'), 'mine');
    const w = new OutputWriter();
    await expect(
      w.writeFiles(d, [
        { name: 'a.pdf', data: 'A' },
        { name: 'b.csv', data: 'B' },
      ]),
    ).rejects.toMatchObject({
      code: 'OUTPUT_EXISTS',
      path: join(d, 'b.csv'),
      message: /b\.csv already exists/,
    });
    expect(readdirSync(d)).toEqual(['b.csv']);
    expect(readFileSync(join(d, 'b.csv'), 'utf8')).toBe('mine');
  });

  it('replaces only what this run wrote; with overwrite chosen it replaces the user file', async () => {
    const d = tmp();
    writeFileSync(join(d, 'keep.txt'), 'user');
    const w = new OutputWriter();
    await w.writeFile(join(d, 'out.json'), '1');
    await w.writeFile(join(d, 'out.json'), '2'); // own file of this run
    expect(readFileSync(join(d, 'out.json'), 'utf8')).toBe('2');
    await expect(new OutputWriter().writeFile(join(d, 'out.json'), '3')).rejects.toMatchObject({
      code: 'OUTPUT_EXISTS',
    });
    await new OutputWriter({ overwrite: true }).writeFile(join(d, 'keep.txt'), 'replaced');
    expect(readFileSync(join(d, 'keep.txt'), 'utf8')).toBe('replaced');
    expect(readdirSync(d).sort()).toEqual(['keep.txt', 'out.json']);
  });
});

describe('eval --out', () => {
  it('refuses a folder holding eval file names it did not write; takes it with overwrite; resumes its own', async () => {
    const d = tmp();
    writeFileSync(join(d, 'metrics.json'), '{"someone":"else"}');
    await expect(
      runEvaluation({
        studies: [{ seriesInstanceUid: '1.2' }],
        annotations: new Map(),
        annotationsSha256: 'x',
        outDir: d,
      }),
    ).rejects.toMatchObject({ code: 'OUTPUT_EXISTS', path: join(d, 'metrics.json') });
    expect(readdirSync(d)).toEqual(['metrics.json']);

    await claimEvalFolder(d, { overwrite: true });
    expect(existsSync(join(d, EVAL_MARKER))).toBe(true);
    await claimEvalFolder(d); // its own folder now: resumed without --overwrite

    const fresh = join(tmp(), 'new');
    await claimEvalFolder(fresh);
    mkdirSync(join(fresh, 'findings'), { recursive: true });
    await claimEvalFolder(fresh); // an interrupted run of ours, resumed
    const legacy = tmp();
    writeFileSync(join(legacy, 'run.json'), JSON.stringify({ schemaVersion: 1, annotationsSha256: 'x' }));
    writeFileSync(join(legacy, 'metrics.json'), '{}');
    await claimEvalFolder(legacy); // written by eval before the marker existed
  });
});
