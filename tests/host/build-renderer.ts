/**
 * Builds the renderer for the browser test host (mode "test": the same code as the app, plus the
 * `window.__pulmolens` landmark hook) into out/renderer-test. Skips the build when no renderer,
 * shared or common source is newer than the output.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';
import react from '@vitejs/plugin-react';
import { defaultRendererDir, repoRoot } from './test-host';

function newestMtime(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

export async function buildTestRenderer(
  outDir = defaultRendererDir,
  force = false,
  mode: 'test' | 'production' = 'test',
): Promise<string> {
  const index = join(outDir, 'index.html');
  const sources = Math.max(
    newestMtime(join(repoRoot, 'src', 'renderer')),
    newestMtime(join(repoRoot, 'src', 'shared')),
    newestMtime(join(repoRoot, 'src', 'common')),
  );
  if (!force && existsSync(index) && statSync(index).mtimeMs > sources) return outDir;
  await build({
    configFile: false,
    root: join(repoRoot, 'src', 'renderer'),
    base: './',
    mode,
    logLevel: 'warn',
    plugins: [react()],
    build: { outDir, emptyOutDir: true, chunkSizeWarningLimit: 8000 },
  });
  return outDir;
}
