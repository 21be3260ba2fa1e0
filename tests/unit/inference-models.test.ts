import { copyFileSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PulmoLensError } from '../../src/common/errors';
import { loadManifest, recalibratePNodule, SCORE_FUSED, sha256Hex } from '../../src/core/inference/manifest';
import { getRuntime, releaseRuntimes } from '../../src/core/inference/runtime';
import { ensureTestModels } from '../support/test-models';

const models = ensureTestModels();
const skip = 'skip' in models ? models.skip : null;
const dir = 'dir' in models ? models.dir : '';

function copyModels(): string {
  const d = mkdtempSync(join(tmpdir(), 'pulmolens-models-'));
  for (const f of ['manifest.json', 'detector.onnx', 'characterizer.onnx'])
    copyFileSync(join(dir, f), join(d, f));
  return d;
}

async function rejection(p: Promise<unknown>): Promise<PulmoLensError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof PulmoLensError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe.skipIf(skip !== null)('model manifest and sessions (test models)', () => {
  const temp: string[] = [];
  beforeAll(() => undefined);
  afterAll(async () => {
    await releaseRuntimes();
    for (const d of temp) rmSync(d, { recursive: true, force: true });
  });

  it('loads the manifest that follows models/manifest.schema.md', async () => {
    const m = await loadManifest(dir);
    expect(m.detector.inputName).toBe('ct');
    expect(m.characterizer.typeOrder).toEqual(['solid', 'part-solid', 'ground-glass']);
    expect(m.detector.sha256).toBe(sha256Hex(readFileSync(join(dir, 'detector.onnx'))));
  });

  it('refuses a model file whose sha256 does not match, naming the file and both hashes', async () => {
    const d = copyModels();
    temp.push(d);
    const bytes = readFileSync(join(d, 'detector.onnx'));
    const expected = sha256Hex(bytes);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
    writeFileSync(join(d, 'detector.onnx'), bytes);
    const actual = sha256Hex(bytes);
    const e = await rejection(getRuntime(d, 'cpu'));
    expect(e.code).toBe('MODEL_MISMATCH');
    expect(e.path).toBe(join(d, 'detector.onnx'));
    expect(e.message).toContain('detector.onnx');
    expect(e.message).toContain(expected);
    expect(e.message).toContain(actual);
    expect(e.details).toEqual({ file: 'detector.onnx', expected, actual });
  });

  it('reports a missing manifest or model file as MODEL_MISSING', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'pulmolens-nomodels-'));
    temp.push(empty);
    const e1 = await rejection(loadManifest(empty));
    expect(e1.code).toBe('MODEL_MISSING');
    expect(e1.path).toBe(join(empty, 'manifest.json'));
    const d = copyModels();
    temp.push(d);
    rmSync(join(d, 'characterizer.onnx'));
    const e2 = await rejection(getRuntime(d, 'cpu'));
    expect(e2.code).toBe('MODEL_MISSING');
    expect(e2.message).toContain('characterizer.onnx');
  });

  it('rejects a manifest that breaks the schema, saying which field', async () => {
    const d = copyModels();
    temp.push(d);
    const m = JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8'));
    m.models.detector.patchSize = [64, 64];
    writeFileSync(join(d, 'manifest.json'), JSON.stringify(m));
    const e = await rejection(loadManifest(d));
    expect(e.code).toBe('MODEL_MISMATCH');
    expect(e.message).toContain('models.detector.patchSize');
  });

  it('reports a graph without the output its manifest names as MODEL_MISMATCH, naming the output', async () => {
    // Not "no execution provider could run the model": no provider mends a broken contract.
    const d = copyModels();
    temp.push(d);
    const m = JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8'));
    m.models.characterizer.outputs.type = 'p_type_v9';
    writeFileSync(join(d, 'manifest.json'), JSON.stringify(m));
    const e = await rejection(getRuntime(d, 'cpu'));
    expect(e.code).toBe('MODEL_MISMATCH');
    expect(e.message).toContain('p_type_v9');
    expect(e.path).toBe(join(d, 'characterizer.onnx'));
  });

  it('falls back to the CPU when a forced provider cannot initialise, and says so', async () => {
    // CoreML exists only on macOS and DirectML only on Windows, so one of them is unavailable here.
    const forced = process.platform === 'darwin' ? 'dml' : 'coreml';
    const rt = await getRuntime(dir, forced);
    expect(rt.detector.provider).toBe('cpu');
    expect(rt.detector.attempts[0]).toMatchObject({ provider: forced, ok: false });
    expect(rt.detector.attempts[0]!.reason).toBeTruthy();
    expect(rt.detector.attempts.at(-1)).toEqual({ provider: 'cpu', ok: true });
    const out = await rt.detector.detect(new Float32Array(32 * 32 * 32), [32, 32, 32]);
    expect(out.length).toBe(32 * 32 * 32);
  });

  /** A copy of the test models whose score is fused with a second U-Net (the test detector, copied). */
  interface EditableManifest {
    models: { detector: Record<string, unknown>; fusionDetector?: Record<string, unknown> };
    operatingPoint: { threshold?: number; score?: string; fusion?: Record<string, unknown> };
  }
  const withFusion = (edit: (m: EditableManifest) => void = () => undefined): string => {
    const d = copyModels();
    temp.push(d);
    copyFileSync(join(d, 'detector.onnx'), join(d, 'fusion-detector.onnx'));
    const m = JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8')) as EditableManifest;
    m.models.fusionDetector = { ...m.models.detector, name: 'test-fusion', file: 'fusion-detector.onnx' };
    m.operatingPoint = {
      ...(m.operatingPoint ?? { threshold: 0.5 }),
      score: SCORE_FUSED,
      fusion: { model: 'fusionDetector', weight: 0.2, radiusMm: 2, heatClip: 1e-4 },
    };
    edit(m);
    writeFileSync(join(d, 'manifest.json'), JSON.stringify(m));
    return d;
  };

  it('opens the fusion detector a fused score names, beside the detector', async () => {
    const d = withFusion();
    const m = await loadManifest(d);
    expect(m.fusion).toMatchObject({ weight: 0.2, radiusMm: 2, heatClip: 1e-4 });
    expect(m.fusion!.detector.name).toBe('test-fusion');
    const rt = await getRuntime(d, 'cpu');
    expect(rt.fusionDetector).not.toBeNull();
    expect(rt.fusionDetector!.session).not.toBe(rt.detector.session);
    const out = await rt.fusionDetector!.detect(new Float32Array(32 * 32 * 32), [32, 32, 32]);
    expect(out.length).toBe(32 * 32 * 32);
    // Without fusion there is no second session.
    expect((await getRuntime(dir, 'cpu')).fusionDetector).toBeNull();
    expect((await loadManifest(dir)).fusion).toBeNull();
  });

  it('refuses a fused score without its fusion block or detector, and a detector on another grid', async () => {
    const noBlock = await rejection(loadManifest(withFusion((m) => delete m.operatingPoint.fusion)));
    expect(noBlock.code).toBe('MODEL_MISMATCH');
    expect(noBlock.message).toContain('operatingPoint.fusion');
    const noScore = await rejection(
      loadManifest(withFusion((m) => (m.operatingPoint.score = 'characterizer p_nodule'))),
    );
    expect(noScore.message).toContain('operatingPoint.score');
    const noDetector = await rejection(loadManifest(withFusion((m) => delete m.models.fusionDetector)));
    expect(noDetector.message).toContain('models.fusionDetector');
    const grid = await rejection(
      loadManifest(withFusion((m) => (m.models.fusionDetector!.spacingMm = [2, 2, 2]))),
    );
    expect(grid.message).toContain('models.fusionDetector.spacingMm');
    const weight = await rejection(loadManifest(withFusion((m) => (m.operatingPoint.fusion!.weight = -1))));
    expect(weight.message).toContain('operatingPoint.fusion.weight');
  });

  it("refuses a fusion detector file that is not the manifest's, naming it", async () => {
    const d = withFusion();
    const bytes = readFileSync(join(d, 'fusion-detector.onnx'));
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
    writeFileSync(join(d, 'fusion-detector.onnx'), bytes);
    const e = await rejection(getRuntime(d, 'cpu'));
    expect(e.code).toBe('MODEL_MISMATCH');
    expect(e.path).toBe(join(d, 'fusion-detector.onnx'));
    rmSync(join(d, 'fusion-detector.onnx'));
    const missing = await rejection(getRuntime(d, 'cpu'));
    expect(missing.code).toBe('MODEL_MISSING');
    expect(missing.message).toContain('fusion-detector.onnx');
  });

  it('creates sessions once and reuses them', async () => {
    const a = await getRuntime(dir, 'cpu');
    const b = await getRuntime(dir, 'cpu');
    expect(b).toBe(a);
    expect(a.detector.session).toBe(b.detector.session);
  });
});

describe('thick-slice recalibration of p_nodule', () => {
  it('lowers the logit by the offset, keeps order, and leaves p alone at offset 0', () => {
    expect(recalibratePNodule(0.9, 0)).toBe(0.9);
    expect(recalibratePNodule(0.5, Math.log(3))).toBeCloseTo(0.25, 12);
    expect(recalibratePNodule(0.75, Math.log(3))).toBeCloseTo(0.5, 12);
    const ps = [0.01, 0.3, 0.9, 0.995, 0.99999];
    const q = ps.map((p) => recalibratePNodule(p, 2));
    for (let i = 1; i < q.length; i++) expect(q[i]!).toBeGreaterThan(q[i - 1]!);
  });

  it('keeps a saturated p_nodule finite and still the strongest', () => {
    const top = recalibratePNodule(1, 3);
    expect(top).toBeLessThan(1);
    expect(top).toBeGreaterThan(recalibratePNodule(0.9999, 3));
    expect(recalibratePNodule(0, 3)).toBeGreaterThanOrEqual(0);
  });
});
