/**
 * Every writer builds only what was asked and never replaces or removes a file it did not create
 * in this run unless the user chose to overwrite. Regression: exporting only the PDF deleted a
 * findings.csv already in the folder (the bundle was written whole, the unwanted formats removed).
 * Real data: LIDC-IDRI-0001 for the report, pydicom's CT_small for the vault, analyze and deidentify.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runAnalyzeCommand } from '../../src/cli/commands/analyze';
import { runDeidentifyCommand } from '../../src/cli/commands/deidentify';
import { scanDicomInputs } from '../../src/core/dicom';
import { createVault } from '../../src/core/vault';
import { createAnalysisHandlers } from '../../src/main/ipc/analysis-handlers';
import { memoryAnalysisStore } from '../../src/core/findings/analysis-store';
import type { HandlerContext } from '../../src/main/ipc/router';
import { missingData, sharedPath } from '../support/shared-data';
import { lidcFixture } from './report-lidc-fixture';

const work = mkdtempSync(join(tmpdir(), 'pl-writers-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const ctx: HandlerContext = { signal: new AbortController().signal, progress: () => {} };
const CT_SMALL = 'dicom/pydicom/test_files/CT_small.dcm';
const WEAK = {
  kdf: { memoryKiB: 256, iterations: 1, parallelism: 1 },
  allowWeakKdf: true,
  idleLockMs: 0,
} as const;

describe.skipIf(missingData('ct/LIDC-IDRI-0001.tar.xz'))('report.export on LIDC-IDRI-0001', () => {
  it('exporting only the PDF writes report.pdf and leaves the user findings.csv alone; replacing needs overwrite', async () => {
    const fx = await lidcFixture();
    const store = memoryAnalysisStore();
    const key = fx.loaded.series.key;
    const { data, ...grid } = fx.heatmap;
    await store.saveAnalysis(
      { key, document: fx.document, analysedAt: '2026-12-01T00:00:00.000Z', heatmap: grid, warnings: [] },
      data,
    );
    const h = createAnalysisHandlers({ series: async () => fx.loaded, store, reviewer: () => 'dr-a' });
    const out = join(work, 'report');
    mkdirSync(out);
    writeFileSync(join(out, 'findings.csv'), 'the reader own spreadsheet\n');

    const r = await h['report.export']({ key, outDir: out, formats: ['pdf'] }, ctx);
    expect(r.files).toEqual([join(out, 'report.pdf')]);
    expect(readdirSync(out).sort()).toEqual(['findings.csv', 'report.pdf']);
    expect(readFileSync(join(out, 'findings.csv'), 'utf8')).toBe('the reader own spreadsheet\n');

    await expect(
      h['report.export']({ key, outDir: out, formats: ['csv', 'json'] }, ctx),
    ).rejects.toMatchObject({
      code: 'OUTPUT_EXISTS',
      path: join(out, 'findings.csv'),
    });
    expect(readdirSync(out).sort()).toEqual(['findings.csv', 'report.pdf']);
    await expect(h['report.export']({ key, outDir: out, formats: ['pdf'] }, ctx)).rejects.toMatchObject({
      code: 'OUTPUT_EXISTS',
      path: join(out, 'report.pdf'),
    });

    const again = await h['report.export']({ key, outDir: out, formats: ['csv'], overwrite: true }, ctx);
    expect(again.files).toEqual([join(out, 'findings.csv')]);
    expect(readFileSync(join(out, 'findings.csv'), 'utf8')).toMatch(/^finding|id/i);
    expect(readdirSync(out).sort()).toEqual(['findings.csv', 'report.pdf']);
  });
});

describe.skipIf(missingData(CT_SMALL))('vault export, analyze --out, deidentify --out', () => {
  it('vault export refuses a folder holding a file of an export name, before writing; overwrite replaces it', async () => {
    const v = await createVault(join(work, 'vault'), 'correct horse battery', WEAK);
    const scan = await scanDicomInputs([sharedPath(CT_SMALL)]);
    const { seriesRef } = await v.importSeries(scan.series[0]!);
    const out = join(work, 'export');
    mkdirSync(out);
    writeFileSync(join(out, 'IM00001.dcm'), 'not ours');
    writeFileSync(join(out, 'notes.txt'), 'also not ours');
    await expect(v.exportSeries(seriesRef, out)).rejects.toMatchObject({
      code: 'OUTPUT_EXISTS',
      path: join(out, 'IM00001.dcm'),
    });
    expect(readFileSync(join(out, 'IM00001.dcm'), 'utf8')).toBe('not ours');
    expect(readdirSync(out).sort()).toEqual(['IM00001.dcm', 'notes.txt']);
    expect(await v.exportSeries(seriesRef, out, { overwrite: true })).toMatchObject({ files: 1 });
    expect(readFileSync(join(out, 'IM00001.dcm')).equals(readFileSync(sharedPath(CT_SMALL)))).toBe(true);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('also not ours');
    await v.lock();
  });

  it('analyze --out refuses before any work when findings.json is there and not its own', async () => {
    const input = join(work, 'ct-in');
    mkdirSync(input);
    cpSync(sharedPath(CT_SMALL), join(input, 'a.dcm'));
    const out = join(work, 'analyze-out');
    mkdirSync(out);
    writeFileSync(join(out, 'findings.json'), '{"mine":true}');
    await expect(
      runAnalyzeCommand(input, { out, models: join(work, 'no-models-needed') }),
    ).rejects.toMatchObject({ code: 'OUTPUT_EXISTS', path: join(out, 'findings.json') });
    await expect(
      runAnalyzeCommand(input, { out: join(work, 'analyze-out2'), report: true, models: join(work, 'x') }),
    ).rejects.not.toMatchObject({ code: 'OUTPUT_EXISTS' });
    expect(readdirSync(out)).toEqual(['findings.json']);
  });

  it('deidentify --out refuses a non-empty folder naming a file; --overwrite leaves other files alone', async () => {
    const input = join(work, 'deid-in');
    mkdirSync(input);
    cpSync(sharedPath(CT_SMALL), join(input, 'a.dcm'));
    const out = join(work, 'deid-out');
    mkdirSync(out);
    writeFileSync(join(out, 'readme.txt'), 'keep me');
    await expect(runDeidentifyCommand(input, { out })).rejects.toMatchObject({
      code: 'OUTPUT_EXISTS',
      path: join(out, 'readme.txt'),
    });
    const r = await runDeidentifyCommand(input, { out, overwrite: true });
    expect(r.written).toHaveLength(1);
    expect(readFileSync(join(out, 'readme.txt'), 'utf8')).toBe('keep me');
  });
});
