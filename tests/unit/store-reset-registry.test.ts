/**
 * Locking resets every renderer store through one registry: each store registers its own reset
 * when it is created (resettableStore), so a store added later is cleared on lock without anyone
 * editing a list. Checked on the app's real store factories, and by reading the store sources so a
 * store made with plain createStore cannot slip past.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PulmoLensApi } from '../../src/shared/ipc-contract';
import { createEvalStore } from '../../src/renderer/store/eval-store';
import { createFindingsStore } from '../../src/renderer/store/findings-store';
import { createResetRegistry, lockResets, resettableStore } from '../../src/renderer/store/reset-registry';
import { createStudyStore } from '../../src/renderer/store/study-store';
import { createViewerStore } from '../../src/renderer/store/viewer-store';

// The stores only call the API from actions; these tests never run one.
const api = {
  invoke: () => Promise.reject(new Error('not used')),
  on: () => () => {},
} as unknown as PulmoLensApi;

describe('lock resets every store through one registry', () => {
  it('resetAll brings each app store back to its initial state', () => {
    const study = createStudyStore(api);
    const viewer = createViewerStore();
    const findings = createFindingsStore(api);
    const evaluation = createEvalStore(api);
    const stores = [study, viewer, findings, evaluation];
    expect(lockResets.names()).toEqual(expect.arrayContaining(['study', 'viewer', 'findings', 'evaluation']));
    const initial = stores.map((s) => JSON.stringify(s.getState()));
    study.setState({ series: [{ key: 'x' } as never] });
    viewer.setState({ slabMm: 30, measurements: [{} as never] });
    findings.setState({ selectedId: 'F001' });
    evaluation.setState({ result: { outDir: '/x' } as never });
    expect(stores.map((s) => JSON.stringify(s.getState()))).not.toEqual(initial);
    expect(lockResets.resetAll()).toEqual([]);
    expect(stores.map((s) => JSON.stringify(s.getState()))).toEqual(initial);
  });

  it('a failing reset does not stop the others and is named', () => {
    const registry = createResetRegistry();
    const a = resettableStore<{ n: number }>('a', registry)(() => ({ n: 0 }));
    registry.register('broken', () => {
      throw new Error('boom');
    });
    const b = resettableStore<{ n: number }>('b', registry)(() => ({ n: 0 }));
    a.setState({ n: 1 });
    b.setState({ n: 2 });
    expect(registry.resetAll()).toEqual(['broken']);
    expect([a.getState().n, b.getState().n]).toEqual([0, 0]);
  });

  it('every renderer store is made with resettableStore (the vault store, which owns the lock, aside)', () => {
    const dir = resolve(__dirname, '../../src/renderer/store');
    const plain = readdirSync(dir)
      .filter((f) => /\.tsx?$/.test(f) && f !== 'reset-registry.ts')
      .filter((f) => /\bcreateStore\s*</.test(readFileSync(join(dir, f), 'utf8')));
    expect(plain).toEqual(['vault-store.ts']);
  });
});
