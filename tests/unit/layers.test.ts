/**
 * The layers of docs/architecture.md hold: renderer -> shared -> common, main -> core -> common.
 * Two checks: the ESLint rule refuses a forbidden import written into each layer (so the rule
 * cannot silently stop matching), and every relative import in src today points where its layer
 * may point (so the tree holds even where nobody ran the linter).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');
const src = join(root, 'src');

/** Which top-level folders of src each layer may import (itself always). */
const ALLOWED: Record<string, string[]> = {
  common: [],
  shared: ['common'],
  renderer: ['shared', 'common'],
  preload: ['shared'],
  main: ['core', 'shared', 'common'],
  core: ['common'],
  cli: ['core', 'common'],
  types: [],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

function relativeImports(code: string): string[] {
  const specs: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)'(\.{1,2}\/[^'?]*)/gm;
  for (let m = re.exec(code); m; m = re.exec(code)) specs.push(m[1]!);
  return specs;
}

const layerOf = (abs: string) => relative(src, abs).split(sep)[0]!;

describe('layer boundaries', () => {
  it('every relative import in src stays inside what its layer may use', () => {
    const violations: string[] = [];
    const files = sourceFiles(src);
    expect(files.length).toBeGreaterThan(100);
    for (const file of files) {
      const from = layerOf(file);
      expect(ALLOWED, `unknown layer src/${from}`).toHaveProperty(from);
      for (const spec of relativeImports(readFileSync(file, 'utf8'))) {
        const to = layerOf(resolve(dirname(file), spec));
        if (to !== from && !ALLOWED[from]!.includes(to))
          violations.push(`${relative(root, file)} imports ${spec} (${from} -> ${to})`);
      }
    }
    expect(violations).toEqual([]);
  });

  describe('the ESLint rule refuses a forbidden import in each layer', () => {
    const eslint = new ESLint({ cwd: root });
    const lint = async (file: string, code: string) => {
      const [result] = await eslint.lintText(`${code}\nexport const used = x;\n`, {
        filePath: join(root, file),
      });
      return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
    };
    const cases: [file: string, forbidden: string, allowed: string][] = [
      ['src/common/fixture.ts', "import { x } from '../core/dicom';", "import { x } from './errors';"],
      ['src/common/fixture.ts', "import { x } from 'node:fs';", "import { z as x } from 'zod';"],
      [
        'src/shared/fixture.ts',
        "import type { x } from '../core/dicom/types';",
        "import type { x } from '../common/dicom';",
      ],
      [
        'src/renderer/store/fixture.ts',
        "import { x } from '../../core/dicom/load-series';",
        "import { x } from '../../common/volume';",
      ],
      [
        'src/renderer/fixture.ts',
        "import { x } from 'electron';",
        "import type { x } from '../shared/ipc-contract';",
      ],
      [
        'src/core/eval/fixture.ts',
        "import type { x } from '../../shared/ipc-contract';",
        "import { x } from '../../common/errors';",
      ],
      ['src/core/fixture.ts', "import { x } from 'electron';", "import { x } from './dicom';"],
      [
        'src/main/ipc/fixture.ts',
        "import { x } from '../../renderer/stores';",
        "import { x } from '../../core/vault';",
      ],
      [
        'src/cli/fixture.ts',
        "import type { x } from '../shared/ipc-contract';",
        "import { x } from '../core/dicom';",
      ],
      [
        'src/preload/fixture.ts',
        "import { x } from '../core/dicom';",
        "import { x } from '../shared/ipc-channels';",
      ],
    ];
    it.each(cases)('%s: %s', async (file, forbidden, allowed) => {
      expect(await lint(file, forbidden)).toEqual([expect.stringContaining(file.split('/')[1]!)]);
      expect(await lint(file, allowed)).toEqual([]);
    });
  });
});
