import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runAnalyzeCommand } from '../../src/cli/commands/analyze';
import { shutdownInference } from '../../src/core/inference';
import { readDicom } from '../../src/core/report';
import { phantomToDicom } from '../../src/core/synth';
import type { Vec3 } from '../../src/common/volume';
import { syntheticChest } from '../support/synthetic-chest';
import { ensureTestModels } from '../support/test-models';

const models = ensureTestModels();
const dir = mkdtempSync(join(tmpdir(), 'pulmolens-report-cli-'));
afterAll(async () => {
  await shutdownInference();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf('skip' in models)('pulmolens analyze --report (synthetic study, test models)', () => {
  it('writes the report files next to findings.json as an unreviewed draft', async () => {
    const truth: Vec3 = [66, 50, 24];
    const volume = syntheticChest({ nodules: [{ centre: truth, diameterMm: 8, hu: 30 }] });
    const seriesDir = join(dir, 'series');
    mkdirSync(seriesDir);
    const synthetic = phantomToDicom({ volume, nodules: [], seed: 11 });
    for (const f of synthetic.files) writeFileSync(join(seriesDir, f.name), f.bytes);
    const out = join(dir, 'out');
    const r = await runAnalyzeCommand(seriesDir, {
      out,
      models: 'dir' in models ? models.dir : '',
      provider: 'cpu',
      report: true,
    });
    expect(readdirSync(out).sort()).toEqual(
      [
        'findings.csv',
        'findings-review.json',
        'findings.json',
        'heatmap-montage.png',
        'heatmap-pmap.dcm',
        'heatmap.nii.gz',
        'report-sr.dcm',
        'report.pdf',
      ].sort(),
    );
    // Nobody has reviewed a CLI run, even when it holds no finding to decide on.
    expect(r.report?.content.isReviewed).toBe(false);
    const text = execFileSync('pdftotext', [join(out, 'report.pdf'), '-'], { encoding: 'utf8' });
    expect(text.toLowerCase()).toContain('research use, not for diagnosis');
    expect(text).toContain(r.result.document.model.sha256);
    expect(text).toContain('NOT FULLY REVIEWED');
    const sr = readDicom(new Uint8Array(readFileSync(join(out, 'report-sr.dcm'))));
    expect(sr.StudyInstanceUID).toBe(synthetic.studyInstanceUid);
    const pm = readDicom(new Uint8Array(readFileSync(join(out, 'heatmap-pmap.dcm'))));
    expect(pm.FrameOfReferenceUID).toBe(synthetic.frameOfReferenceUid);
    expect(Number(pm.NumberOfFrames)).toBe(volume.dims[2]);
    const dump = spawnSync('dsrdump', [join(out, 'report-sr.dcm')], { encoding: 'utf8' });
    expect(dump.status, dump.stderr).toBe(0);
  }, 300_000);
});
