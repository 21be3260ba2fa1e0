/**
 * The test host's renderer build (tests/host/build-renderer.ts). Each Playwright worker starts its
 * own host; on a fresh clone both build, and one worker's page may load while the other builds.
 * The served folder must hold a whole build at every moment (a fresh-clone CI run of session 37
 * failed when a build emptied it under a loading page).
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTestRenderer } from '../host/build-renderer';

describe('buildTestRenderer', () => {
  it('keeps the served folder whole while it writes a new build, and leaves nothing beside it', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'pulmolens-renderer-build-'));
    const out = join(parent, 'renderer-test');
    const index = join(out, 'index.html');
    try {
      // A previous build, older than every source, so it is rebuilt.
      mkdirSync(out);
      writeFileSync(index, '<!doctype html><title>previous build</title>');
      utimesSync(index, 0, 0);
      let polls = 0;
      let missing = 0;
      const poll = setInterval(() => {
        polls += 1;
        if (!existsSync(index)) missing += 1;
      }, 1);
      try {
        await buildTestRenderer(out);
      } finally {
        clearInterval(poll);
      }
      expect(polls).toBeGreaterThan(10);
      expect(missing, 'polls that found no index.html in the served folder').toBe(0);
      expect(readFileSync(index, 'utf8')).not.toContain('previous build');
      expect(readdirSync(join(out, 'assets')).some((f) => f.endsWith('.js'))).toBe(true);
      expect(readdirSync(parent)).toEqual(['renderer-test']);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  }, 180_000);

  it('two hosts building at once into a missing folder both get one whole build', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'pulmolens-renderer-build-'));
    const out = join(parent, 'renderer-test');
    try {
      const dirs = await Promise.all([buildTestRenderer(out), buildTestRenderer(out)]);
      expect(dirs).toEqual([out, out]);
      const html = readFileSync(join(out, 'index.html'), 'utf8');
      const scripts = [...html.matchAll(/src="\.\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
      expect(scripts.length).toBeGreaterThan(0);
      for (const s of scripts) expect(existsSync(join(out, s)), s).toBe(true);
      expect(readdirSync(parent)).toEqual(['renderer-test']);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  }, 180_000);
});
