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
import sys

import numpy as np

from cv_report import threshold_for
from char_data import real_copies
from sharp_check import calibration_sets, ensemble_scorer, report


def on_side(x, side):
    return x < 0 if side == 'right' else x >= 0


def restrict(s, side):
    x = np.array([c['world'][0] for c in s.meta['candidates']], dtype=np.float64)
    s.labels = np.where(on_side(x, side), s.labels, -1).astype(np.int8)
    return s


def main(side, runs):
    sets = {name: [restrict(s, side) for s in ser] for name, ser in calibration_sets().items()}
    real = [restrict(s, side) for s in real_copies()]
    in_lung = lambda row: on_side(np.array([row['worldLps'][0]]), side)[0]
    for run in runs:
        print(f'{run} ({side} lung)')
        report(ensemble_scorer(run), sets, real, lambda fp, n: threshold_for(fp, n, 0.5), '0.5', 'half-scan', in_lung)


if __name__ == '__main__':
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2:])
