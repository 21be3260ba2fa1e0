#!/usr/bin/env python3
"""Two or more `pulmolens eval` output folders (e.g. the same studies scored with two model sets)
read at the same thresholds: false positives per scan and nodules hit among the findings at or
above each threshold, from each folder's candidates.csv (the scorer's own matches).

  /usr/bin/python3 training/compare_evals.py --thresholds 0.6228,0.853 \\
      training/runs/scorer/eval-synth /tmp/eval-synth-session11

Session 12: the shipped pipeline and session 11's on the `pulmolens synth` phantoms of
record_scorer_figures.sh (the session-11 models run from a worktree of commit fdf1e9e).
"""
import argparse
import csv
import json
import os


def at_threshold(rows, t, scans):
    fp = sum(1 for r in rows if r['match'] == 'FP' and float(r['probability']) >= t)
    hit = set()
    for r in rows:
        if r['match'] == 'TP' and float(r['probability']) >= t:
            hit.update(r['markId'].split(';'))
    return fp / scans, len(hit)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--thresholds', type=lambda v: [float(x) for x in v.split(',')], required=True, help='comma-separated')
    ap.add_argument('evals', nargs='+')
    a = ap.parse_args()
    for d in a.evals:
        metrics = json.load(open(os.path.join(d, 'metrics.json')))
        rows = list(csv.DictReader(open(os.path.join(d, 'candidates.csv'))))
        print(f"{d}: {metrics['scans']} scans, {metrics['nodules']} nodules, detector {metrics['model']['sha256'][:12]}")
        for t in a.thresholds:
            fp, hit = at_threshold(rows, t, metrics['scans'])
            print(f'  p >= {t}: {fp:.1f} false positives per scan, {hit} of {metrics["nodules"]} nodules hit')


if __name__ == '__main__':
    main()
