#!/usr/bin/env python3
"""Session 11's sharp-kernel comparison of characterizer variants ('+'-joined run folders under
runs/char/, each with its operating threshold): FROC, CPM and the figures at the threshold on the
calibration insertions into LIDC-IDRI-0001 (seeds 1-4, 2.5 mm) and on its sharp-kernel calibration
insertions (seeds 85-88: insert_nodules.py --sharpen 1.5 and 3), and the false positives at the
threshold on the real LIDC-IDRI-0001 and its two sharp-kernel copies (runs/sharp/, mined by
mine_candidates.ts into runs/sharp-mined/), as the app would list them (app_merge).

  /usr/bin/python3 training/sharp_check.py rc-0002-seed0+rc-0002-seed1@0.8427 kd-0002-seed0@0.6174 ...
"""
import os
import sys

import numpy as np

from char_data import real_copies
from common import RUNS
from cv_report import (CALIBRATION_SEEDS, SCORE_P, SHARP_CAL, calibrated, exact_logits, finding_score, froc_rows,
                       load_net, nodule_table)
from train_char import load_backgrounds


def calibration_sets():
    """The calibration insertions into LIDC-IDRI-0001: its own 2.5 mm slices and sharp kernels."""
    return {
        'calibration (2.5 mm)': [s for s in load_backgrounds(['LIDC-IDRI-0001'], lambda n: n.endswith(CALIBRATION_SEEDS) and '-k' not in n and '-t' not in n) if s.inserted],
        'sharp-kernel calibration': [s for s in load_backgrounds(['LIDC-IDRI-0001'], lambda n: n in SHARP_CAL) if s.inserted],
    }


def ensemble_scorer(run):
    """The app's finding score of a '+'-joined ensemble (mean of logits) on a series' float32 cubes."""
    nets = [load_net(os.path.join(RUNS, 'char', m, 'model.pt')) for m in run.split('+')]
    return lambda s: finding_score(calibrated(np.mean([exact_logits(n, s) for n in nets], axis=0), 1.0), s, SCORE_P)


def report(score, sets, real, thr, rate='1', unit='scan', keep=lambda row: True):
    """Prints each set's figures and the real scans' false positives at the threshold: a number,
    or a function of the first set's negative scores and scan count that chooses it."""
    for name, ser in sets.items():
        sc = [score(s) for s in ser]
        rows = [r for r in nodule_table(ser, sc) if keep(r)]
        fp = np.concatenate([x[s.labels == 0] for s, x in zip(ser, sc)])
        sens, cpm = froc_rows(rows, fp, len(ser))
        if callable(thr):
            thr = thr(fp, len(ser))
        at = np.mean([r['score'] >= thr for r in rows])
        print(f"  {name}: {len(ser)} scans, {len(rows)} nodules, CPM {cpm:.3f}, at {rate} FP/{unit} {sens[rate]:.3f}; "
              f"threshold {thr:.4f}: sensitivity {at:.3f}, {(fp >= thr).sum() / len(ser):.2f} FP/{unit}")
    for s in real:
        neg = score(s)[s.labels == 0]
        print(f"  real {s.name}: {(neg >= thr).sum()} false positives at the threshold (top {np.round(np.sort(neg)[-3:], 3).tolist()})")


def main(specs):
    sets = calibration_sets()
    real = real_copies()
    for spec in specs:
        run, thr = spec.split('@')
        print(f'{run} @ {thr}')
        report(ensemble_scorer(run), sets, real, float(thr))


if __name__ == '__main__':
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    main(sys.argv[1:])
