import { describe, expect, it } from 'vitest';
import { bootstrapFroc, seededRandom } from '../../src/core/eval/bootstrap';
import { evaluate } from '../../src/core/eval/evaluate';
import {
  frocCurve,
  frocSensitivities,
  interpolate,
  packCohort,
  scoreCohort,
  weightedFrocSensitivities,
} from '../../src/core/eval/froc';
import { bootstrapScans, intervalNote } from '../../src/core/eval/confidence';
import { matchScan } from '../../src/core/eval/luna16-match';
import { modelEvalInfoOf, type ModelEvalInfo } from '../../src/core/eval/model-info';
import { ageBand, ageYearsFromAs, ageYearsFromDates } from '../../src/core/eval/scan-info';
import { agreementOf, computeSizeAgreement } from '../../src/core/eval/size-agreement';
import { diameterBin, noiseBin, subgroupTable, thicknessBin } from '../../src/core/eval/subgroups';
import { checkFindingsDocument } from '../../src/core/eval/findings-file';
import {
  TUNED_LABEL,
  type ScoredCandidate,
  type ScanAnnotations,
  type ScanRecord,
} from '../../src/common/eval';
import type { Vec3 } from '../../src/common/volume';

const MODEL = { name: 'test-detector', version: '1', sha256: 'ab'.repeat(32) };

function cand(id: string, centerLps: Vec3, probability: number): ScoredCandidate {
  return { id, centerLps, probability };
}

function scan(
  uid: string,
  candidates: ScoredCandidate[],
  annotations: Partial<ScanAnnotations> = {},
): ScanRecord {
  return {
    seriesInstanceUid: uid,
    model: MODEL,
    candidates,
    annotations: { nodules: annotations.nodules ?? [], excluded: annotations.excluded ?? [] },
  };
}

/**
 * Three scans worked out by hand (see the comments): an excluded mark, a double hit, a hit exactly
 * on the radius (LUNA16 needs d < r), a scan without nodules and a scan with a missed nodule.
 */
const cohort: ScanRecord[] = [
  scan(
    '1.1',
    [
      cand('c1', [1, 0, 0], 0.9), // N1 at 1 mm: the TP of N1
      cand('c2', [0, 2, 0], 0.6), // N1 again, less probable: ignored (duplicate)
      cand('c3', [50, 0, 2.9], 0.3), // N2 (r = 3) at 2.9 mm: TP
      cand('c4', [100, 4, 0], 0.8), // only the excluded mark (10 mm stand-in diameter): ignored
      cand('c5', [200, 0, 0], 0.7), // nothing: FP
      cand('c6', [53, 0, 0], 0.95), // exactly 3 mm from N2, r = 3: not within, FP
    ],
    {
      nodules: [
        { id: 'N1', centerLps: [0, 0, 0], diameterMm: 10 },
        { id: 'N2', centerLps: [50, 0, 0], diameterMm: 6 },
      ],
      excluded: [{ id: 'E1', centerLps: [100, 0, 0], diameterMm: null }],
    },
  ),
  scan('1.2', [cand('c7', [0, 0, 0], 0.5), cand('c8', [10, 10, 10], 0.2)]), // no annotation: both FP
  scan('1.3', [], { nodules: [{ id: 'N3', centerLps: [0, 0, 0], diameterMm: 8 }] }), // missed
];

describe('LUNA16 matching', () => {
  it('labels TP, duplicate, excluded and FP candidates as the official script does', () => {
    const m = matchScan(cohort[0]!);
    const kinds = m.candidates.map((c) =>
      c.match.kind === 'ignored'
        ? `${c.candidate.id}:ignored:${c.match.reason}`
        : `${c.candidate.id}:${c.match.kind}`,
    );
    expect(kinds).toEqual([
      'c1:TP',
      'c2:ignored:duplicate',
      'c3:TP',
      'c4:ignored:excluded',
      'c5:FP',
      'c6:FP',
    ]);
    expect(m.nodules.map((n) => [n.nodule.id, n.detectedProbability, n.candidateId])).toEqual([
      ['N1', 0.9, 'c1'],
      ['N2', 0.3, 'c3'],
    ]);
    const c1 = m.candidates[0]!.match;
    expect(c1.kind === 'TP' && c1.distanceMm).toBeCloseTo(1, 12);
  });

  it('a candidate on an included nodule and an excluded mark is a TP; one best hit on two nodules counts for both', () => {
    const m = matchScan(
      scan('2.1', [cand('a', [0, 0, 0], 0.4)], {
        nodules: [
          { id: 'A', centerLps: [1, 0, 0], diameterMm: 6 },
          { id: 'B', centerLps: [-1, 0, 0], diameterMm: 6 },
        ],
        excluded: [{ id: 'X', centerLps: [0, 0, 0], diameterMm: 4 }],
      }),
    );
    expect(m.candidates[0]!.match).toMatchObject({ kind: 'TP', noduleIds: ['A', 'B'] });
    expect(m.nodules.map((n) => n.detectedProbability)).toEqual([0.4, 0.4]);
  });

  it('an excluded mark with a diameter uses its own radius', () => {
    const m = matchScan(
      scan('2.2', [cand('a', [4, 0, 0], 0.4)], {
        excluded: [{ id: 'X', centerLps: [0, 0, 0], diameterMm: 6 }],
      }),
    );
    expect(m.candidates[0]!.match.kind).toBe('FP'); // 4 mm from a 6 mm mark; the 10 mm stand-in would have caught it
  });
});

describe('FROC and CPM (known answers)', () => {
  it('reads the seven sensitivities off the FROC as numpy.interp does', () => {
    const e = evaluate(cohort, { annotationsSha256: 'x', bootstrapSamples: 50 });
    // Scored entries, highest first: 0.95 FP, 0.9 TP, 0.7 FP, 0.5 FP, 0.3 TP, 0.2 FP; 3 nodules, 3 scans.
    // Curve (FP/scan, sens): (0,0) (1/3,0) (1/3,1/3) (2/3,1/3) (1,1/3) (1,2/3) (4/3,2/3).
    expect(e.curve.fpPerScan).toEqual([0, 1 / 3, 1 / 3, 2 / 3, 1, 1, 4 / 3]);
    const expected = [0, 0, 1 / 3, 2 / 3, 2 / 3, 2 / 3, 2 / 3];
    e.metrics.froc.sensitivity.forEach((s, i) => expect(s).toBeCloseTo(expected[i]!, 12));
    expect(e.metrics.froc.fpPerScan).toEqual([0.125, 0.25, 0.5, 1, 2, 4, 8]);
    expect(e.metrics.cpm).toBeCloseTo(3 / 7, 12);
    expect(e.metrics.scans).toBe(3);
    expect(e.metrics.nodules).toBe(3);
  });

  it('ties between a TP and an FP form one diagonal step (sklearn roc_curve)', () => {
    const e = evaluate(
      [
        scan('3.1', [cand('a', [0, 0, 0], 0.5), cand('b', [90, 0, 0], 0.5), cand('c', [-90, 0, 0], 0.4)], {
          nodules: [{ id: 'N', centerLps: [0, 0, 0], diameterMm: 10 }],
        }),
      ],
      { annotationsSha256: 'x', bootstrapSamples: 10 },
    );
    // Curve (0,0) (1,1) (2,1): sensitivity 1/8, 1/4, 1/2 on the diagonal, then 1.
    const expected = [0.125, 0.25, 0.5, 1, 1, 1, 1];
    e.metrics.froc.sensitivity.forEach((s, i) => expect(s).toBeCloseTo(expected[i]!, 12));
    expect(e.metrics.cpm).toBeCloseTo(4.875 / 7, 12);
    expect(e.metrics.operatingPoint).toMatchObject({ threshold: 0.5, tp: 1, fp: 1, fn: 0 });
    expect(e.metrics.operatingPoint.f1).toBeCloseTo(2 / 3, 12);
  });

  it('interpolates like numpy.interp: flat beyond the ends, last of repeated x', () => {
    const xs = [0, 1, 1, 2];
    const ys = [0, 0.2, 0.6, 1];
    expect(interpolate(xs, ys, 0.5)).toBeCloseTo(0.1, 12);
    expect(interpolate(xs, ys, 1)).toBeCloseTo(0.6, 12);
    expect(interpolate(xs, ys, 1.5)).toBeCloseTo(0.8, 12);
    expect(interpolate(xs, ys, 8)).toBe(1);
  });

  it('has no sensitivity, CPM or recall when no scan has a nodule', () => {
    const e = evaluate([scan('4.1', [cand('a', [0, 0, 0], 0.5)]), scan('4.2', [])], {
      annotationsSha256: 'x',
      bootstrapSamples: 10,
    });
    expect(e.metrics.froc.sensitivity).toEqual([null, null, null, null, null, null, null]);
    expect(e.metrics.cpm).toBeNull();
    expect(e.metrics.cpmCI95).toBeNull();
    expect(e.metrics.operatingPoint).toMatchObject({ recall: null, tp: 0, fp: 1, fn: 0, fpPerScan: 0.5 });
  });
});

describe('operating point (known answers)', () => {
  it('maximises F1 without a threshold and reports per-scan counts at it', () => {
    const e = evaluate(cohort, { annotationsSha256: 'x', bootstrapSamples: 10 });
    // F1 by threshold: .95 → 0, .9 → 2/5, .7 → 1/3, .5 → 2/7, .3 → 1/2, .2 → 4/9.
    expect(e.metrics.operatingPoint.threshold).toBe(0.3);
    expect(e.metrics.operatingPoint.f1).toBeCloseTo(0.5, 12);
    expect(e.metrics.operatingPoint.recall).toBeCloseTo(2 / 3, 12);
    expect(e.metrics.operatingPoint.precision).toBeCloseTo(0.4, 12);
    expect(e.metrics.operatingPoint).toMatchObject({ tp: 2, fp: 3, fn: 1, fpPerScan: 1 });
    expect(e.metrics.perScan).toEqual([
      { seriesInstanceUid: '1.1', trainingScan: false, tp: 2, fp: 2, fn: 0, missed: [] },
      { seriesInstanceUid: '1.2', trainingScan: false, tp: 0, fp: 1, fn: 0, missed: [] },
      {
        seriesInstanceUid: '1.3',
        trainingScan: false,
        tp: 0,
        fp: 0,
        fn: 1,
        missed: [{ id: 'N3', centerLps: [0, 0, 0], diameterMm: 8 }],
      },
    ]);
  });

  it('uses a given threshold (probability >= threshold counts)', () => {
    const op = evaluate(cohort, { annotationsSha256: 'x', threshold: 0.8, bootstrapSamples: 10 }).metrics
      .operatingPoint;
    expect(op).toMatchObject({ threshold: 0.8, tp: 1, fp: 1, fn: 2, precision: 0.5 });
    expect(op.recall).toBeCloseTo(1 / 3, 12);
    expect(op.f1).toBeCloseTo(0.4, 12);
    expect(op.fpPerScan).toBeCloseTo(1 / 3, 12);
  });

  it('breaks F1 ties towards the higher threshold', () => {
    // Two nodules; TP .9, FP .8, FP .7, TP .6: F1 is 2/3 at .9 and again at .6.
    const op = evaluate(
      [
        scan('5.1', [cand('t1', [0, 0, 0], 0.9), cand('f1', [90, 0, 0], 0.8)], {
          nodules: [{ id: 'A', centerLps: [0, 0, 0], diameterMm: 5 }],
        }),
        scan('5.2', [cand('f2', [90, 0, 0], 0.7), cand('t2', [0, 0, 0], 0.6)], {
          nodules: [{ id: 'B', centerLps: [0, 0, 0], diameterMm: 5 }],
        }),
      ],
      { annotationsSha256: 'x', bootstrapSamples: 10 },
    ).metrics.operatingPoint;
    expect(op.threshold).toBe(0.9);
    expect(op.f1).toBeCloseTo(2 / 3, 12);
  });
});

describe('bootstrap CI over scans', () => {
  it('is reproducible for a seed and collapses to the CPM when every scan is alike', () => {
    // Five scans, ten nodules: the smallest cohort whose interval is reported.
    const same = ['a', 'b', 'c', 'd', 'e'].map((uid) =>
      scan(uid, [cand('t', [0, 0, 0], 0.8), cand('f', [90, 0, 0], 0.6)], {
        nodules: [
          { id: 'N', centerLps: [0, 0, 0], diameterMm: 6 },
          { id: 'M', centerLps: [-90, 0, 0], diameterMm: 6 },
        ],
      }),
    );
    const e = evaluate(same, { annotationsSha256: 'x', bootstrapSamples: 200 });
    expect(e.metrics.cpmCI95![0]).toBeCloseTo(e.metrics.cpm!, 12);
    expect(e.metrics.cpmCI95![1]).toBeCloseTo(e.metrics.cpm!, 12);
    expect(e.metrics.confidenceNote).toBeNull();
    // Every resample is the same cohort: the operating point's intervals collapse to it.
    expect(e.metrics.operatingPointCI95).toEqual({
      recall: [0.5, 0.5],
      precision: [1, 1],
      f1: [2 / 3, 2 / 3],
      fpPerScan: [0, 0],
    });
  });

  it('gives a proper interval on a varied cohort, identical for the same seed', () => {
    const c = scoreCohort(cohort.map(matchScan));
    const a = bootstrapFroc(c, { samples: 300, seed: 7 });
    const b = bootstrapFroc(c, { samples: 300, seed: 7 });
    expect(a).toEqual(b);
    const [lo, hi] = a.cpmCI95!;
    expect(lo).toBeLessThan(hi);
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThanOrEqual(1);
    // Resamples drawing only scan 1.2 have no nodule and are left out.
    expect(a.usedSamples).toBeLessThanOrEqual(300);
    expect(frocCurve(c).sensitivity).not.toBeNull();
  });
});

describe('the bootstrap fast path', () => {
  it('gives exactly the curve-based sensitivities on random cohorts with ties and zero weights', () => {
    const random = seededRandom(11);
    for (let trial = 0; trial < 200; trial++) {
      // Multiples of 8 scans make FP/scan land exactly on 1/8..8, where a vertical step must be
      // read at its top (numpy.interp's last point at or left of x).
      const scans = trial % 2 ? 8 * (1 + Math.floor(random() * 2)) : 1 + Math.floor(random() * 12);
      const records = Array.from({ length: scans }, (_, s) => {
        const nodules = Array.from({ length: Math.floor(random() * 3) }, (_, i) => ({
          id: `n${i}`,
          centerLps: [i * 100, 0, 0] as Vec3,
          diameterMm: 10,
        }));
        // Probabilities on a 0.05 grid, so TPs and FPs often tie.
        const p = (): number => Math.round(random() * 20) / 20;
        const candidates = [
          ...nodules.filter(() => random() < 0.7).map((n, i) => cand(`t${i}`, n.centerLps, p())),
          ...Array.from({ length: Math.floor(random() * 30) }, (_, i) =>
            cand(`f${i}`, [500, i * 20, 0], p()),
          ),
        ];
        return scan(`${trial}.${s}`, candidates, { nodules });
      });
      const cohort = scoreCohort(records.map(matchScan));
      const packed = packCohort(cohort);
      const weights = Float64Array.from({ length: scans }, () => Math.floor(random() * 3));
      const slow = frocSensitivities(frocCurve(cohort, weights));
      const fast = weightedFrocSensitivities(packed, weights);
      if (slow === null) expect(fast).toBeNull();
      else slow.forEach((v, i) => expect(fast![i]).toBeCloseTo(v, 12));
    }
  });
});

describe('evaluate() input checks', () => {
  it('refuses a cohort mixing two models and a series given twice', () => {
    const other = { ...scan('9.2', []), model: { ...MODEL, sha256: 'cd'.repeat(32) } };
    expect(() => evaluate([scan('9.1', []), other], { annotationsSha256: 'x' })).toThrow(
      /one evaluation scores one model/,
    );
    expect(() => evaluate([scan('9.1', []), scan('9.1', [])], { annotationsSha256: 'x' })).toThrow(
      /appears twice/,
    );
  });
});

describe('operating points and training scans (issue 13)', () => {
  const info = (over: Partial<ModelEvalInfo> = {}): ModelEvalInfo => ({
    detectorSha256: MODEL.sha256,
    operatingPoint: { threshold: 0.8, chosenOn: 'validation fold', criterion: 'sensitivity 0.8' },
    trainingSeriesUids: null,
    ...over,
  });

  it("reports the manifest's threshold as primary and the tuned one labelled optimistic", () => {
    const m = evaluate(cohort, { annotationsSha256: 'x', modelInfo: info(), bootstrapSamples: 10 }).metrics;
    expect(m.operatingPointSource).toEqual({
      kind: 'manifest',
      label: 'model manifest operating point (chosen on validation fold, sensitivity 0.8)',
    });
    // At .8: TP c1 (.9), FP c6 (.95); tuned (F1-max) is .3, as above.
    expect(m.operatingPoint).toMatchObject({ threshold: 0.8, tp: 1, fp: 1, fn: 2 });
    expect(m.tunedOperatingPoint).toMatchObject({ threshold: 0.3, tp: 2, fp: 3, label: TUNED_LABEL });
    expect(m.tunedOperatingPoint.label).toBe('tuned on this set (optimistic)');
    // 3 nodules in 3 scans: no interval, words instead.
    expect(m.cpmCI95).toBeNull();
    expect(m.operatingPointCI95).toBeNull();
    expect(m.confidenceNote).toBe(
      'not meaningful: 3 nodules in 3 scans (a 95% interval needs at least 10 nodules and 5 scans)',
    );
  });

  it('--threshold overrides the manifest; a manifest of another model is not used', () => {
    const given = evaluate(cohort, { annotationsSha256: 'x', modelInfo: info(), threshold: 0.5 }).metrics;
    expect(given.operatingPointSource.kind).toBe('command line');
    expect(given.operatingPoint.threshold).toBe(0.5);
    const other = evaluate(cohort, {
      annotationsSha256: 'x',
      modelInfo: info({ detectorSha256: 'cd'.repeat(32), trainingSeriesUids: ['1.1'] }),
    }).metrics;
    expect(other.operatingPointSource).toEqual({
      kind: 'tuned',
      label: 'tuned on this set (optimistic): the model manifest describes another model',
    });
    expect(other.operatingPoint.threshold).toBe(0.3);
    expect(other.trainingScans).toEqual({ listed: false, series: [], inFigures: false });
    expect(other.scans).toBe(3);
    expect(evaluate(cohort, { annotationsSha256: 'x' }).metrics.operatingPointSource.label).toBe(
      'tuned on this set (optimistic): no model manifest',
    );
  });

  it('leaves training scans out of the figures unless included, flagging them either way', () => {
    const modelInfo = info({ trainingSeriesUids: ['1.1', '9.9'] });
    const out = evaluate(cohort, { annotationsSha256: 'x', modelInfo }).metrics;
    expect(out.trainingScans).toEqual({ listed: true, series: ['1.1'], inFigures: false });
    expect(out.scans).toBe(2);
    expect(out.nodules).toBe(1);
    expect(out.data.series).toEqual(['1.2', '1.3']);
    expect(out.perScan.map((p) => p.trainingScan)).toEqual([false, false]);
    const all = evaluate(cohort, { annotationsSha256: 'x', modelInfo, includeTrainingScans: true }).metrics;
    expect(all.trainingScans).toEqual({ listed: true, series: ['1.1'], inFigures: true });
    expect(all.scans).toBe(3);
    expect(all.perScan.map((p) => p.trainingScan)).toEqual([true, false, false]);
    expect(() => evaluate([cohort[0]!], { annotationsSha256: 'x', modelInfo })).toThrow(
      /all 1 series are scans the model was trained or tuned on/,
    );
  });

  it('reads the optional manifest fields, absent in manifests before model contract v2', () => {
    const base = { schemaVersion: 1, models: { detector: { sha256: 'ab'.repeat(32) } } };
    expect(modelEvalInfoOf(base, 'm.json')).toEqual({
      detectorSha256: 'ab'.repeat(32),
      operatingPoint: null,
      trainingSeriesUids: null,
    });
    const v2 = modelEvalInfoOf(
      {
        ...base,
        operatingPoint: { threshold: 0.42, score: 'characterizer p_nodule', chosenOn: 'fold 5' },
        trainingSeriesUids: ['1.2'],
      },
      'm.json',
    );
    expect(v2.operatingPoint).toEqual({ threshold: 0.42, chosenOn: 'fold 5', criterion: null });
    expect(v2.trainingSeriesUids).toEqual(['1.2']);
    expect(() => modelEvalInfoOf({ ...base, operatingPoint: { threshold: 2 } }, 'm.json')).toThrow(
      /operatingPoint.threshold/,
    );
  });

  it('bootstraps the operating point over scans and says when an interval is not meaningful', () => {
    expect(intervalNote(10, 5)).toBeNull();
    expect(intervalNote(1, 40)).toBe(
      'not meaningful: 1 nodule in 40 scans (a 95% interval needs at least 10 nodules and 5 scans)',
    );
    expect(intervalNote(30, 4)).toMatch(/^not meaningful: 30 nodules in 4 scans/);
    // Statistic = share of weight on scan 0 over 4 scans: its bootstrap mean is 1/4.
    const ci = bootstrapScans(4, { share: (w) => (w[0] as number) / 4 }, { samples: 2000, seed: 3 });
    expect(ci.share![0]).toBe(0);
    expect(ci.share![1]).toBeGreaterThanOrEqual(0.5);
  });
});

describe('subgroups, size agreement and header facts (issue 13)', () => {
  it('bins diameters and slice thickness at the published edges, and ages from DICOM AS or dates', () => {
    expect([2.9, 3, 5.99, 6, 10, 19.9, 20, 30, 30.1].map(diameterBin)).toEqual([
      '<3 mm',
      '3-6 mm',
      '3-6 mm',
      '6-10 mm',
      '10-20 mm',
      '10-20 mm',
      '20-30 mm',
      '20-30 mm',
      '>30 mm',
    ]);
    expect([0.625, 1.25, 1.3, 2.5, 3, null].map(thicknessBin)).toEqual([
      '<=1.25 mm',
      '<=1.25 mm',
      '<=2.5 mm',
      '<=2.5 mm',
      '>2.5 mm',
      'unknown',
    ]);
    // Noise: the analysis' verdict against its models' limit; no limit, no verdict.
    expect(
      [
        { noduleScaleSdHu: 16, validatedMaxHu: 11.2, aboveValidated: true },
        { noduleScaleSdHu: 6, validatedMaxHu: 11.2, aboveValidated: false },
        { noduleScaleSdHu: 16, aboveValidated: false },
        undefined,
      ].map(noiseBin),
    ).toEqual(['above validated noise', 'within validated noise', 'unknown', 'unknown']);
    expect(ageBand(ageYearsFromAs('065Y'))).toBe('60-69');
    expect(ageBand(ageYearsFromAs('480M'))).toBe('40-49');
    expect(ageBand(ageYearsFromAs('39Y'))).toBe(''); // malformed AS: not guessed
    expect(ageYearsFromDates('19500615', '20200614')).toBe(69);
    expect(ageYearsFromDates('19500615', '20200615')).toBe(70);
    expect(ageBand(85)).toBe('>=80');
  });

  it('computes sensitivity with a CI, FP/scan and counts per group (known answer)', () => {
    // Ten scans, two 8 mm nodules each; scans 0-4 (1 mm slices, vendor A) find both, scans 5-9
    // (3 mm, vendor B) find one; every scan has one 4 mm false positive at .9.
    const records: ScanRecord[] = Array.from({ length: 10 }, (_, s) => ({
      ...scan(
        `9.${s}`,
        [
          cand('a', [0, 0, 0], 0.9),
          ...(s < 5 ? [cand('b', [50, 0, 0], 0.9)] : []),
          { ...cand('fp', [200, 0, 0], 0.9), diameterMm: 4 },
        ],
        {
          nodules: [
            { id: `n${s}a`, centerLps: [0, 0, 0], diameterMm: 8 },
            { id: `n${s}b`, centerLps: [50, 0, 0], diameterMm: 8 },
          ],
        },
      ),
      scan: {
        sliceThicknessMm: s < 5 ? 1 : 3,
        manufacturer: s < 5 ? 'A' : 'B',
        convolutionKernel: 'K',
        patientSex: s % 2 ? 'F' : 'M',
        ageBand: '',
      },
    }));
    const m = evaluate(records, { annotationsSha256: 'x', threshold: 0.5, bootstrapSamples: 200 }).metrics;
    const dim = (n: string) => m.subgroups.dimensions.find((d) => d.dimension === n)!;
    const row = (n: string, g: string) => dim(n).rows.find((r) => r.group === g)!;
    expect(dim('nodule type')).toBeUndefined(); // no type in this reference
    expect(row('nodule diameter', '6-10 mm')).toMatchObject({
      scans: 10,
      nodules: 20,
      detected: 15,
      sensitivity: 0.75,
      falsePositives: 0,
      fpPerScan: 0,
      ciNote: null,
    });
    const ci = row('nodule diameter', '6-10 mm').sensitivityCI95!;
    expect(ci[0]).toBeGreaterThanOrEqual(0.5);
    expect(ci[0]).toBeLessThan(0.75);
    expect(ci[1]).toBeGreaterThan(0.75);
    expect(ci[1]).toBeLessThanOrEqual(1);
    // The false positives measured 4 mm: filed under 3-6 mm, per scan of the cohort.
    expect(row('nodule diameter', '3-6 mm')).toMatchObject({
      nodules: 0,
      sensitivity: null,
      falsePositives: 10,
      fpPerScan: 1,
    });
    expect(row('slice thickness', '<=1.25 mm')).toMatchObject({
      scans: 5,
      nodules: 10,
      detected: 10,
      sensitivity: 1,
      fpPerScan: 1,
      ciNote: null,
    });
    expect(row('slice thickness', '<=1.25 mm').sensitivityCI95).toEqual([1, 1]);
    expect(row('slice thickness', '>2.5 mm')).toMatchObject({
      scans: 5,
      nodules: 10,
      detected: 5,
      sensitivity: 0.5,
    });
    expect(row('manufacturer', 'B').sensitivity).toBe(0.5);
    expect(row('patient sex', 'F')).toMatchObject({ scans: 5, nodules: 10, ciNote: null });
    expect(row('age band', 'unknown').scans).toBe(10);
    expect(subgroupTable(m.subgroups)).toMatch(/slice thickness\s+>2\.5 mm\s+5\s+10\s+5\s+0\.500 \(/);
  });

  it('gives the Bland–Altman mean difference and limits of agreement (known answer)', () => {
    // Differences 1, 2, 3: mean 2, SD 1, limits 2 ± 1.96.
    const a = agreementOf([11, 12, 13], [10, 10, 10])!;
    expect(a.meanDifference).toBe(2);
    expect(a.sdDifference).toBeCloseTo(1, 12);
    expect(a.limitsOfAgreement![0]).toBeCloseTo(0.04, 12);
    expect(a.limitsOfAgreement![1]).toBeCloseTo(3.96, 12);
    expect(a.meanAbsoluteDifference).toBe(2);
    expect(agreementOf([], [])).toBeNull();
    const records = [
      scan('7.1', [{ ...cand('c', [0, 0, 0], 0.9), diameterMm: 9, volumeMm3: 400 }], {
        nodules: [
          {
            id: 'N',
            centerLps: [0, 0, 0],
            diameterMm: 10,
            readers: [
              { diameterMm: 9.5, volumeMm3: 450 },
              { diameterMm: 10.5, volumeMm3: 600 },
            ],
          },
        ],
      }),
      scan('7.2', [{ ...cand('c', [0, 0, 0], 0.4), diameterMm: 5 }], {
        nodules: [{ id: 'M', centerLps: [0, 0, 0], diameterMm: 6 }],
      }),
    ];
    const s = computeSizeAgreement(records, records.map(matchScan), 0.5);
    expect(s.pairs).toEqual([
      {
        seriesInstanceUid: '7.1',
        noduleId: 'N',
        candidateId: 'c',
        referenceDiameterMm: 10,
        measuredDiameterMm: 9,
        referenceVolumeMm3: 525,
        measuredVolumeMm3: 400,
        readerDiametersMm: [9.5, 10.5],
      },
    ]); // 7.2's hit is below the threshold
    expect(s.volumeMm3!.meanDifference).toBe(-125);
    expect(s.readers).toEqual({
      nodules: 1,
      meanReaderSdDiameterMm: Math.SQRT1_2,
      measuredWithinReaderRange: 0,
    });
  });
});

describe('findings documents as evaluation input', () => {
  const base = {
    seriesInstanceUid: '1.2.3',
    model: { name: 'm', version: '1', sha256: 'ab' },
    findings: [],
  };
  it('accepts a document with or without measured image noise', () => {
    expect(checkFindingsDocument(base, 'x.json')).toBe(base);
    const noisy = { ...base, imageNoise: { measured: true, noduleScaleSdHu: 16, aboveValidated: true } };
    expect(checkFindingsDocument(noisy, 'x.json')).toBe(noisy);
    expect(
      checkFindingsDocument({ ...base, imageNoise: { measured: false, patches: 2 } }, 'x.json'),
    ).toBeTruthy();
  });
  it('rejects a malformed imageNoise, naming the file and the field', () => {
    expect(() =>
      checkFindingsDocument(
        { ...base, imageNoise: { measured: true, noduleScaleSdHu: 'high' } },
        'scan.json',
      ),
    ).toThrow(
      expect.objectContaining({
        code: 'EVAL_INVALID',
        message: expect.stringMatching(/^not a findings document: imageNoise/),
      }),
    );
  });
});
