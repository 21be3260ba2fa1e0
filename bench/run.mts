/**
 * `npm run bench [-- name...]`: runs each benchmark module that exists and prints markdown tables
 * (also written to artifacts/bench/results.md for the README). Speed lives here, never in tests.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../tests/support/shared-data';
import { markdownTable, type BenchResult } from './bench-util';

interface Suite {
  name: string;
  file: string;
  fn: string;
}

const SUITES: Suite[] = [
  { name: 'dicom', file: 'dicom-bench.ts', fn: 'benchDicom' },
  { name: 'vault', file: 'vault-bench.ts', fn: 'benchVault' },
  { name: 'analyze', file: 'analyze-bench.ts', fn: 'benchAnalyze' },
  { name: 'viewer', file: 'viewer-bench.ts', fn: 'benchViewer' },
];

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const parts: string[] = [
    `# PulmoLens benchmarks`,
    `${new Date().toISOString()} · ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'} · node ${process.version}`,
  ];
  for (const s of SUITES) {
    if (wanted.length && !wanted.includes(s.name)) continue;
    const path = join(repoRoot, 'bench', s.file);
    if (!existsSync(path)) {
      console.log(`\n## ${s.name}: not present`);
      continue;
    }
    console.log(`\n## ${s.name} …`);
    const mod = (await import(path)) as Record<
      string,
      () => Promise<BenchResult | { rows: BenchResult['rows'] }>
    >;
    const res = await mod[s.fn]!();
    const title = 'title' in res ? res.title : s.name;
    const block = [
      `## ${title}`,
      markdownTable(res.rows),
      'note' in res && res.note ? `\n${res.note}` : '',
    ].join('\n\n');
    console.log(block);
    parts.push(block);
  }
  mkdirSync(join(repoRoot, 'artifacts', 'bench'), { recursive: true });
  writeFileSync(join(repoRoot, 'artifacts', 'bench', 'results.md'), `${parts.join('\n\n')}\n`);
}

await main();
