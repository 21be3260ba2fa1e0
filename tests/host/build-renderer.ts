/**
 * Builds the renderer for the browser test host (mode "test": the same code as the app, plus the
 * `window.__pulmolens` landmark hook) into out/renderer-test. Skips the build when no renderer,
 * shared or common source is newer than the output.
 *
 * Each Playwright worker starts its own host, and on a fresh clone both build at once. The build is
 * written to a staging folder and moved into place whole: building into the served folder itself
 * emptied it while the other worker's page was loading from it (a fresh-clone CI run of session 37:
 * the first test's page never showed its lock screen).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
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
  const sources = Math.max(
    newestMtime(join(repoRoot, 'src', 'renderer')),
    newestMtime(join(repoRoot, 'src', 'shared')),
    newestMtime(join(repoRoot, 'src', 'common')),
  );
  const fresh = () => {
    const index = join(outDir, 'index.html');
    return existsSync(index) && statSync(index).mtimeMs > sources;
  };
  if (!force && fresh()) return outDir;
  // Unique per build: two builds of one process (the unit test) must not share it either.
  const staging = `${outDir}.staging-${randomUUID()}`;
  try {
    await build({
      configFile: false,
      root: join(repoRoot, 'src', 'renderer'),
      base: './',
      mode,
      logLevel: 'warn',
      plugins: [react()],
      build: { outDir: staging, emptyOutDir: true, chunkSizeWarningLimit: 8000 },
    });
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  publish(staging, outDir, () => !force && fresh());
  return outDir;
}

/**
 * Moves a finished build into `outDir`. Where `outDir` already holds a build of the same sources
 * (another host finished first: `keepExisting`), that one stays and the staging folder goes; an
 * older build is swapped out by two renames.
 */
function publish(staging: string, outDir: string, keepExisting: () => boolean): void {
  const discard = () => rmSync(staging, { recursive: true, force: true });
  if (keepExisting()) return discard();
  try {
    // Replaces a missing or empty folder in one step.
    return renameSync(staging, outDir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
  }
  // Another host may have put its build there since the first look.
  if (keepExisting()) return discard();
  const old = `${outDir}.old-${randomUUID()}`;
  renameSync(outDir, old);
  renameSync(staging, outDir);
  rmSync(old, { recursive: true, force: true });
}
