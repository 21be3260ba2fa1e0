/**
 * Tiny hand-weighted ONNX models following models/manifest.schema.md, generated on demand into the
 * git-ignored .cache/test-models/ by make-test-models.py (needs /usr/bin/python3 with torch). They
 * exercise the runtime before, and independently of, the trained models.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, repoRoot } from './shared-data';

export const testModelsDir = join(cacheDir, 'test-models');
const python = '/usr/bin/python3';

/** The folder with manifest.json + models, or a reason to skip when they cannot be made here. */
export function ensureTestModels(): { dir: string } | { skip: string } {
  if (existsSync(join(testModelsDir, 'manifest.json'))) return { dir: testModelsDir };
  if (!existsSync(python)) return { skip: `${python} is absent; cannot export the test models` };
  const tmp = `${testModelsDir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    execFileSync(python, [join(repoRoot, 'tests', 'support', 'make-test-models.py'), tmp], { stdio: 'pipe' });
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    const reason = `test model export failed: ${(e as { stderr?: Buffer }).stderr?.toString().slice(-400) ?? e}`;
    console.warn(`[skip] ${reason}`);
    return { skip: reason };
  }
  try {
    renameSync(tmp, testModelsDir);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another worker finished first
  }
  return { dir: testModelsDir };
}
