import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    // Two files at a time even on a 2-core machine: many tests wait on a spawned CLI, a DICOM peer
    // or the disk (session 22: 691 s with two; the same machine's CI the day before took 1218 s with one).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ['default'],
  },
});
