/**
 * The shipped models on a real thick-slice series: LIDC-IDRI-0001 (2.5 mm, never a training
 * background) with every two slices averaged into one 5 mm slice, the way a 5 mm reconstruction of
 * the same acquisition looks. Issue 10: a series thicker than 2.5 mm still analyses, carries the
 * thick-slice warning, and does not flood the list with false positives (vessels crossing a thick
 * slice look like blobs).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSeries, scanDicomInputs } from '../../src/core/dicom';
import { analyzeSeries, inferenceConfig, shutdownInference } from '../../src/core/inference';
import { THICK_SLICE_WARNING } from '../../src/core/inference/pipeline';
import { thicken } from '../support/derived-protocols';
import { describeFalsePositives, judgeFindings } from '../support/luna16-reference';
import { lidcStudy, missingData, repoRoot } from '../support/shared-data';

const models = join(repoRoot, 'models');
const skip =
  missingData(
    'ct/LIDC-IDRI-0001.tar.xz',
    'ct/luna16-annotations.csv',
    'ct/luna16-annotations-excluded.csv',
  ) ?? (existsSync(join(models, 'manifest.json')) ? null : 'no shipped models/');
if (skip) console.warn(`[skip] thick-slice LIDC-IDRI-0001: ${skip}`);

afterAll(() => shutdownInference());

describe.skipIf(skip !== null)('shipped models on LIDC-IDRI-0001 as 5 mm slices', () => {
  it('warns about the thickness, lists the real nodule first and no more than one false positive', async () => {
    const scan = await scanDicomInputs([lidcStudy('0001').seriesDir]);
    const loaded = await loadSeries(scan.series[0]!);
    expect(loaded.volume.spacingMm[2]).toBeCloseTo(2.5, 1);
    const volume = thicken(loaded.volume, 2);
    const r = await analyzeSeries(
      { volume, series: loaded.series },
      inferenceConfig({ modelsDir: models, provider: 'cpu' }),
    );
    const doc = r.document;
    const thick = doc.warnings!.filter((w) => w.startsWith(THICK_SLICE_WARNING));
    expect(thick).toHaveLength(1);
    expect(thick[0]).toContain('(this series: 5 mm');

    const { annotations, kindOf, falsePositives } = judgeFindings(doc);
    expect(annotations.nodules).toHaveLength(1);
    expect(kindOf(doc.findings[0]!)).toBe('TP');
    console.log(
      `[report] LIDC-IDRI-0001 at 5 mm: ${doc.findings.length} findings, ${falsePositives.length} false positive(s): ` +
        describeFalsePositives(falsePositives),
    );
    expect(falsePositives.length).toBeLessThanOrEqual(1);
  }, 300_000);
});
