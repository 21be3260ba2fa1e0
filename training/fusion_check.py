#!/usr/bin/env python3
"""Session 43: does the U-Net's heatmap at a candidate add what the characterizer lacks? Stage 2
loses a tenth of the >= 6 mm nodules that stage 1 makes a candidate of (card test seeds 41-48:
0.887 at 1 FP/scan against 0.959 found), and det-v4 (det_experiment.sh) alone finds 0.818 of the
nodules >= 4 mm with ~105 peaks per scan, from 48 mm patches the characterizer's cubes do not see.

The fused score is sigmoid(z / T + w * logit(h)): z the shipped members' logit, cross-fitted over
the slabs as every split_cv / cv_report figure (each LIDC-IDRI-0001 candidate scored by the members
that never learned its slab), T fitted on the calibration seeds, h the heatmap's maximum within
2 mm of the candidate (heatmap_at_candidates.ts; clipped to [1e-4, 1 - 1e-4]). The weight w is
chosen on the four sets that choose every ship (nodule-weighted CPM, as split_cv.py) and read on
the test sets, each at its own 1 FP/scan; then, for w = 0 and the chosen w, split_cv's operating
threshold and thick-slice offset with the test sets and the real scans at them, and a paired
bootstrap of the gain.

  /usr/bin/python3 training/fusion_check.py --heat training/runs/heat --models <folder> [--members s40b --seeds 0,1] [--out F]
"""
import argparse
import json
import os

import numpy as np

from char_data import Series, real_copies
from common import RUNS
from cross_fit import CrossFitted
from cv_report import (SCORE_P, SHARP_CAL, SHARP_TEST, SHIP_SPLIT, SLAB_BOUNDS, calibrated, exact_logits, finding_score, fit_temperature, froc_rows, fused_logit,
                       load_net, nodule_table, operating_threshold, recalibrate, sens_at, thick_slice_offset)

S = 'LIDC-IDRI-0001-s{}'.format
T = 'LIDC-IDRI-0001-t2-s{}'.format
# The four sets that choose every ship (split_cv.py: nodule-weighted CPM over them) and the tests
# the model card reads (card test, its sharp and 5 mm sets) plus session 13's fresh test.
SETS = {'calibration': [S(i) for i in range(1, 5)], 'sharp calibration': list(SHARP_CAL),
        '5 mm calibration': [T(i) for i in range(71, 75)], 'dev': [S(i) for i in range(5, 13)],
        'card test': [S(i) for i in range(41, 49)], 'sharp test': list(SHARP_TEST),
        '5 mm test': [T(i) for i in range(75, 79)], 'fresh test': [S(i) for i in range(49, 57)]}
CHOOSING = ('calibration', 'sharp calibration', '5 mm calibration', 'dev')
WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5)


def fused_scores(items, t, w):
    """The app's finding scores (merged candidates at -1) of sigmoid(z / T + w logit(h))."""
    out = []
    for s, z, h in items:
        out.append(finding_score(calibrated(fused_logit(z, h, t, w), t), s, SCORE_P))
    return out


def operating_point(data, real, t, w):
    """split_cv.py's rules on the fused score: the threshold the higher of the 1-FP/scan thresholds
    on the calibration and sharp calibration sets, the thick-slice offset the smallest leaving
    1 FP/scan on the 5 mm calibration set; sensitivity and FP/scan at them on the test sets, false
    positives at them on the real scans (cross-fitted)."""
    sc = {k: fused_scores(items, t, w) for k, items in data.items()}
    fp = lambda k: np.concatenate([x[s.labels == 0] for (s, _, _), x in zip(data[k], sc[k])])
    thr = max(operating_threshold(fp('calibration'), len(data['calibration'])),
              operating_threshold(fp('sharp calibration'), len(data['sharp calibration'])))
    offset = thick_slice_offset(fp('5 mm calibration'), len(data['5 mm calibration']), thr)
    out = {'threshold': thr, 'thickOffset': offset, 'tests': {}, 'realFalsePositives': {}}
    for k in ('card test', 'sharp test', '5 mm test', 'fresh test'):
        off = offset if k.startswith('5 mm') else 0.0
        xs = [np.where(x >= 0, recalibrate(x, off), x) for x in sc[k]]
        rows = nodule_table([s for s, _, _ in data[k]], xs)
        n_fp = sum(int(((x >= thr) & (s.labels == 0)).sum()) for (s, _, _), x in zip(data[k], xs))
        out['tests'][k] = {'sensAtThreshold': round(float(np.mean([r['score'] >= thr for r in rows])), 4),
                           'fpPerScanAtThreshold': round(n_fp / len(xs), 3)}
    for name, item in real.items():
        x = fused_scores([item], t, w)[0]
        if name.endswith('-t2'):
            x = np.where(x >= 0, recalibrate(x, offset), x)
        out['realFalsePositives'][name] = int(((x >= thr) & (item[0].labels == 0)).sum())
    return out


def paired_delta(data, t, w, keys, reps=1000, seed=0):
    """95% interval of the nodule-weighted CPM gain of weight w over w = 0 on the sets `keys`,
    resampling each set's scans (with their nodules and false positives), the same draw for both."""
    per = {}
    for k in keys:
        series = [s for s, _, _ in data[k]]
        per[k] = [[(nodule_table([s], [x]), x[s.labels == 0]) for s, x in zip(series, fused_scores(data[k], t, ww))]
                  for ww in (0.0, w)]
    rng = np.random.default_rng(seed)
    deltas = []
    for _ in range(reps):
        tot = [0.0, 0.0]
        n_all = 0
        for k in keys:
            pick = rng.integers(0, len(per[k][0]), len(per[k][0]))
            n = sum(len(per[k][0][i][0]) for i in pick)
            for j in (0, 1):
                rows = [r for i in pick for r in per[k][j][i][0]]
                fp = np.concatenate([per[k][j][i][1] for i in pick])
                tot[j] += froc_rows(rows, fp, len(pick))[1] * n
            n_all += n
        deltas.append((tot[1] - tot[0]) / n_all)
    return [round(float(np.percentile(deltas, 2.5)), 4), round(float(np.percentile(deltas, 97.5)), 4)]


def figures(series, scores):
    rows = nodule_table(series, scores)
    fp = np.concatenate([sc[s.labels == 0] for s, sc in zip(series, scores)])
    n = len(series)
    _, cpm = froc_rows(rows, fp, n)
    big = [r for r in rows if r['diameterMm'] >= 6]
    small = [r for r in rows if 3 <= r['diameterMm'] < 6]
    return {'cpm': round(cpm, 4), 'sens1': round(sens_at(rows, fp, n, 1), 4),
            'ge6At1': round(sens_at(big, fp, n, 1), 4), 'small3to6At1': round(sens_at(small, fp, n, 1), 4),
            'nodules': len(rows)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--heat', required=True)
    ap.add_argument('--models', required=True, help='the heatmap_at_candidates.ts --models folder to fuse')
    ap.add_argument('--mined', default=os.path.join(RUNS, 'mined'))
    ap.add_argument('--members', help="another slab recipe's prefix (e.g. s40b): <prefix>-k<slab>-seed<i>")
    ap.add_argument('--seeds', default='0,1', help='with --members: the seeds per slab')
    ap.add_argument('--out')
    a = ap.parse_args()
    split = SHIP_SPLIT if not a.members else {
        'bounds': SLAB_BOUNDS,
        'slabs': ['+'.join(f'{a.members}-k{k}-seed{i}' for i in a.seeds.split(',')) for k in range(len(SLAB_BOUNDS.split(',')) + 1)]}
    ship = CrossFitted(split, load_net, exact_logits)
    data = {}
    for k, names in SETS.items():
        data[k] = []
        for name in names:
            s = Series(name, os.path.join(a.mined, name), os.path.join(RUNS, 'insert', name + '.json'), cubes=False)
            h = np.array(json.load(open(os.path.join(a.heat, name + '.json')))['models'][a.models], dtype=np.float64)
            assert len(h) == len(s.labels), name
            data[k].append((s, ship.series_logits(s), h))
        print(f'{k}: scored', flush=True)
    t = fit_temperature([z for _, z, _ in data['calibration']], [s.labels for s, _, _ in data['calibration']])
    res = {'temperature': t, 'models': a.models, 'members': split['slabs'], 'weights': {}}
    for w in WEIGHTS:
        row, by_set = {}, {}
        for k, items in data.items():
            by_set[k] = ([s for s, _, _ in items], fused_scores(items, t, w))
            row[k] = figures(*by_set[k])
        row['choosing (nodule-weighted CPM)'] = {'cpm': round(sum(row[k]['cpm'] * row[k]['nodules'] for k in CHOOSING)
                                                              / sum(row[k]['nodules'] for k in CHOOSING), 4)}
        res['weights'][str(w)] = row
        print(f'w {w}: ' + '  '.join(f"{k} CPM {v['cpm']:.3f}" + (f" >=6@1 {v['ge6At1']:.3f} 3-6@1 {v['small3to6At1']:.3f}" if 'ge6At1' in v else '')
                                      for k, v in row.items()), flush=True)
    real = {}
    for s in real_copies(thick=True, cubes=False):
        h = np.array(json.load(open(os.path.join(a.heat, s.name + '.json')))['models'][a.models], dtype=np.float64)
        assert len(h) == len(s.labels), s.name
        real[s.name] = (s, ship.series_logits(s), h)
    best = max(WEIGHTS, key=lambda w: res['weights'][str(w)]['choosing (nodule-weighted CPM)']['cpm'])
    res['chosenWeight'] = best
    if best > 0:
        res['gainInterval'] = {'choosing (nodule-weighted CPM)': paired_delta(data, t, best, CHOOSING),
                               'card test CPM': paired_delta(data, t, best, ('card test',)),
                               'four test sets (nodule-weighted CPM)': paired_delta(data, t, best, ('card test', 'sharp test', '5 mm test', 'fresh test'))}
        print(f"paired bootstrap of the CPM gain: {json.dumps(res['gainInterval'])}", flush=True)
    for w in sorted({0.0, best}):
        res['operatingPoint' if w == best else 'operatingPointWithout'] = op = operating_point(data, real, t, w)
        print(f'w {w}: {json.dumps(op)}', flush=True)
    if a.out:
        json.dump(res, open(a.out, 'w'), indent=1)


if __name__ == '__main__':
    main()
