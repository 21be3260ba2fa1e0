"""FROC of inserted series scored by training/score_onnx.mjs, counted as cv_report.py counts the
shipped model (LUNA16 hit rule, the app's finding merge, sensitivity at 1/8 ... 8 FP/scan, CPM, the
size / type / location breakdown at 1 FP/scan and at a given operating threshold). For comparing
two pipelines (miner code + model) on the same series.

  /usr/bin/python3 training/froc_scored.py <mined dir> <tag> <threshold> <series name>...
"""
import json
import os
import sys

import numpy as np

from char_data import Series
from common import RUNS
from cv_report import SCORE_P, bootstrap_cpm, breakdown, finding_score, froc_rows, nodule_table


def main(mined, tag, thr, names):
    series, scores = [], []
    for n in names:
        s = Series(n, os.path.join(mined, n), os.path.join(RUNS, 'insert', n + '.json'))
        p = np.fromfile(os.path.join(mined, f'{n}.{tag}.f32'), dtype='<f4')
        if len(p) != len(s.labels):
            raise SystemExit(f'{n}.{tag}.f32: {len(p)} scores for {len(s.labels)} candidates')
        series.append(s)
        scores.append(finding_score(p, s, SCORE_P))
    rows = nodule_table(series, scores)
    fps = [x[s.labels == 0] for s, x in zip(series, scores)]
    fp = np.concatenate(fps)
    sens, cpm = froc_rows(rows, fp, len(series))
    out = {'mined': mined, 'tag': tag, 'scans': len(series), 'nodules': len(rows), 'sensitivity': sens, 'cpm': cpm,
           'cpmCI95': bootstrap_cpm(rows, fps),
           'atThreshold': {'threshold': thr, 'sensitivity': float(np.mean([r['score'] >= thr for r in rows])),
                           'fpPerScan': float((fp >= thr).sum() / len(series))},
           'breakdown': breakdown(rows, fp, len(series), thr)}
    print(json.dumps(out, indent=1))


if __name__ == '__main__':
    if len(sys.argv) < 5:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4:])
