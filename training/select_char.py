#!/usr/bin/env python3
"""Model selection for the shipped characterizer on the CALIBRATION half only.

  /usr/bin/python3 training/select_char.py cv-0002 cv-0002b cv-0002b+cv-0002c ...

Each argument names run folders under runs/char/ (several joined by '+' = an ensemble: mean of
their logits). Every variant is scored on the insertions into the held-out background's
calibration seeds (cv_report.CALIBRATION_SEEDS), temperature-scaled on them, and its FROC/CPM
printed. The test seeds are never read here, so the variant chosen with this script can still be
reported on them by cv_report.py. Writes runs/selection.json.
"""
import json
import os
import sys

import numpy as np

from common import RUNS
from cv_report import (CALIBRATION_SEEDS, SCORE_P, calibrated, exact_logits, finding_score, fit_temperature, froc_rows, load_net,
                       nodule_table, threshold_for)
from train_char import load_backgrounds

VAL_BACKGROUND = 'LIDC-IDRI-0001'


def main(variants):
    cal = [s for s in load_backgrounds([VAL_BACKGROUND], lambda n: n.endswith(CALIBRATION_SEEDS), cubes=False) if s.inserted]
    print('calibration series:', ', '.join(s.name for s in cal))
    # Each run's logits per series, once: the ensembles of 1-6 seeds share their members, and each
    # scoring re-reads the series' float32 cubes from disk.
    member, out = {}, {}

    def member_logits(name, s):
        if (name, s.name) not in member:
            net = load_net(os.path.join(RUNS, 'char', name, 'model.pt'))
            for c in cal:
                member[(name, c.name)] = exact_logits(net, c)
        return member[(name, s.name)]

    for v in variants:
        logits = [np.mean([member_logits(name, s) for name in v.split('+')], axis=0) for s in cal]
        t = fit_temperature(logits, [s.labels for s in cal])
        sc = [finding_score(calibrated(z, t), s, SCORE_P) for s, z in zip(cal, logits)]
        rows = nodule_table(cal, sc)
        fp = np.concatenate([x[s.labels == 0] for s, x in zip(cal, sc)])
        sens, cpm = froc_rows(rows, fp, len(cal))
        thr = threshold_for(fp, len(cal))
        out[v] = {'cpm': round(cpm, 4), 'sensitivity': sens, 'temperature': round(t, 4), 'thresholdAt1Fp': thr,
                  'nodules': len(rows), 'scans': len(cal)}
        print(f"{v:40s} CPM {cpm:.3f}  sens@1FP {sens['1']:.3f}  T {t:.3f}  ({len(rows)} nodules, {len(cal)} scans)")
    json.dump(out, open(os.path.join(RUNS, 'selection.json'), 'w'), indent=2)


if __name__ == '__main__':
    main(sys.argv[1:])
