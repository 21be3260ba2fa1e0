/**
 * The Evaluation page's `eval.run` finds and decodes series through the DICOM backend (in the app,
 * the worker thread), never on the Electron main thread. A recording backend around the real
 * in-process one shows which calls went where, on the real LIDC-IDRI-0001 series.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DicomBackend } from '../../src/main/dicom/dicom-backend';
import { createInProcessBackend } from '../../src/main/dicom/in-process-backend';
import { createEvalHandlers } from '../../src/main/ipc/eval-handlers';
import { inferenceConfig } from '../../src/core/inference/config';
import type { HandlerContext } from '../../src/main/ipc/router';
import { requestSchemas } from '../../src/shared/ipc-contract';
import { lidcStudy, missingData, sharedPath } from '../support/shared-data';

const UID_1 = '1.3.6.1.4.1.14519.5.2.1.6279.6001.179049373636438705059720603192';
const skip = missingData('ct/LIDC-IDRI-0001.tar.xz', 'ct/luna16-annotations.csv');
const ctx: HandlerContext = { signal: new AbortController().signal, progress: () => {} };

function recordingBackend(): { backend: DicomBackend; calls: string[] } {
  const inner = createInProcessBackend();
  const calls: string[] = [];
  return {
    calls,
    backend: {
      scan: (paths, opts) => (calls.push(`scan ${paths.length}`), inner.scan(paths, opts)),
      load: (series, opts, files) => (
        calls.push(`load ${series.frames.length}`),
        inner.load(series, opts, files)
      ),
      close: () => inner.close(),
    },
  };
}

let work: string;
let studies: string;
beforeAll(() => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'pulmolens-eval-handlers-'));
  studies = join(work, 'studies');
  mkdirSync(studies);
  symlinkSync(lidcStudy('0001').seriesDir, join(studies, 'LIDC-IDRI-0001'));
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(skip)('eval.run uses the DICOM backend', () => {
  const request = (extra: Record<string, string>) =>
    requestSchemas['eval.run'].parse({
      studies,
      annotations: sharedPath('ct/luna16-annotations.csv'),
      ...extra,
    });

  it('scans through the backend; precomputed findings need no decoding', async () => {
    const findings = join(work, 'findings');
    mkdirSync(findings);
    const model = { name: 'test-detector', version: '0.0.1', sha256: '0'.repeat(64) };
    writeFileSync(
      join(findings, `${UID_1}.json`),
      JSON.stringify({
        seriesInstanceUid: UID_1,
        model,
        executionProvider: 'cpu',
        timingsMs: {},
        findings: [],
      }),
    );
    const { backend, calls } = recordingBackend();
    const h = createEvalHandlers({
      backend,
      inference: inferenceConfig({ modelsDir: join(work, 'no-models') }),
    });
    const r = await h['eval.run'](request({ findings, outDir: join(work, 'out-findings') }), ctx);
    expect(calls).toEqual(['scan 1']);
    expect(r.metrics.scans).toBe(1);
  });

  it('decodes a series to analyse through the backend (then fails naming the missing model)', async () => {
    const { backend, calls } = recordingBackend();
    const h = createEvalHandlers({
      backend,
      inference: inferenceConfig({ modelsDir: join(work, 'no-models') }),
    });
    await expect(h['eval.run'](request({ outDir: join(work, 'out-analyse') }), ctx)).rejects.toMatchObject({
      code: 'MODEL_MISSING',
    });
    expect(calls).toEqual(['scan 1', expect.stringMatching(/^load \d{2,}$/)]);
  });
});
