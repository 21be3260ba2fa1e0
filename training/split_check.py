#!/usr/bin/env python3
"""Characterizer variants scored on one lung of LIDC-IDRI-0001 only (patient right: LPS x < 0, or
left): FROC and CPM per half-scan on the calibration insertions (seeds 1-4) and the sharp-kernel
calibration insertions (seeds 85-88), the threshold with at most 0.5 false positives per half-scan on
the first, and the false positives at it on the real scan and its sharp copies (that lung only).
Candidates and inserted nodules in the other lung are ignored: the ground for a spatial split (real
negatives from one lung in training, validation in the other). Session 11: every strong false
positive of the shipped model lies in the right lung.

  /usr/bin/python3 training/split_check.py right rc-0002-seed0+rc-0002-seed1 sp-0002-seed0 ...
"""
import os
import sys

import numpy as np

from common import RUNS
from cv_report import (CALIBRATION_SEEDS, SCORE_P, SHARP_CAL, calibrated, exact_logits, finding_score, froc_rows,
                       load_net, nodule_table, threshold_for)
from sharp_check import real_copies
from train_char import load_backgrounds


def on_side(x, side):
    return x < 0 if side == 'right' else x >= 0


def restrict(s, side):
    x = np.array([c['world'][0] for c in s.meta['candidates']], dtype=np.float64)
    s.labels = np.where(on_side(x, side), s.labels, -1).astype(np.int8)
    return s


def main(side, runs):
    sets = {
        'calibration (2.5 mm)': [restrict(s, side) for s in load_backgrounds(['LIDC-IDRI-0001'], lambda n: n.endswith(CALIBRATION_SEEDS) and '-k' not in n and '-t' not in n) if s.inserted],
        'sharp-kernel calibration': [restrict(s, side) for s in load_backgrounds(['LIDC-IDRI-0001'], lambda n: n in SHARP_CAL) if s.inserted],
    }
    real = [restrict(s, side) for s in real_copies()]
    for run in runs:
        nets = [load_net(os.path.join(RUNS, 'char', m, 'model.pt')) for m in run.split('+')]
        score = lambda s: finding_score(calibrated(np.mean([exact_logits(n, s) for n in nets], axis=0), 1.0), s, SCORE_P)
        thr = None
        print(f'{run} ({side} lung)')
        for name, ser in sets.items():
            sc = [score(s) for s in ser]
            rows = [r for r in nodule_table(ser, sc) if on_side(np.array([r['worldLps'][0]]), side)[0]]
            fp = np.concatenate([x[s.labels == 0] for s, x in zip(ser, sc)])
            sens, cpm = froc_rows(rows, fp, len(ser))
            if thr is None:
                thr = threshold_for(fp, len(ser), 0.5)
            at = np.mean([r['score'] >= thr for r in rows])
            print(f"  {name}: {len(rows)} nodules, CPM {cpm:.3f}, at 0.5 FP/half-scan {sens['0.5']:.3f}; threshold {thr:.4f}: "
                  f"sensitivity {at:.3f}, {(fp >= thr).sum() / len(ser):.2f} FP/half-scan")
        for s in real:
            neg = score(s)[s.labels == 0]
            print(f"  real {s.name}: {(neg >= thr).sum()} false positives (top {np.round(np.sort(neg)[-3:], 3).tolist()})")


if __name__ == '__main__':
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2:])
