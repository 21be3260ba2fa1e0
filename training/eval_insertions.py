#!/usr/bin/env python3
"""The app itself on inserted series: `pulmolens eval` (the whole analyze pipeline, the shipped
models, the manifest's operating threshold) on insertions into a real scan, scored against the
inserted nodules with the LUNA16 rules, so the findings list - merging, segmentation sizes - is
checked where the truth is known. The real scan's own LUNA16 marks and every nodule inserted
outside the aerated lung (site_check.py) are passed as excluded marks.

Note: the shipped members learned LIDC-IDRI-0001's real negatives (one side each) and the app runs
all of them, so false positives here are on partly seen anatomy (cv_report.py has the cross-fitted
counts); the sizes and the true findings are what this checks.

  /usr/bin/python3 training/eval_insertions.py LIDC-IDRI-0001-s1 ... [--out training/runs/eval-insertions]
"""
import argparse
import csv
import json
import os
import subprocess
import sys

from char_data import luna_marks
from common import RUNS

INSERT = os.path.join(RUNS, 'insert')
FIELDS = ['seriesuid', 'coordX', 'coordY', 'coordZ', 'diameter_mm']


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('series', nargs='+', help='inserted series names under runs/insert/')
    ap.add_argument('--out', default=os.path.join(RUNS, 'eval-insertions'))
    a = ap.parse_args()
    studies = os.path.join(a.out, 'studies')
    os.makedirs(studies, exist_ok=True)
    nodules, excluded = [], []
    for name in a.series:
        side = os.path.join(INSERT, name + '.json')
        sites = os.path.join(INSERT, name + '.sites.json')
        if not os.path.exists(side) or not os.path.exists(sites):
            sys.exit(f'{name}: no {side} or {sites} (insert_nodules.py, then site_check.py)')
        meta, ok = json.load(open(side)), json.load(open(sites))
        uid = meta['seriesInstanceUid']
        link = os.path.join(studies, name)
        if not os.path.lexists(link):
            os.symlink(os.path.abspath(os.path.join(INSERT, name)), link)
        for n in meta['nodules']:
            (nodules if ok[n['id']] else excluded).append([uid, *n['worldLps'], n['diameterMm']])
        excluded += [[uid, *p, 2 * r if r else -1] for p, r, _ in luna_marks(meta['sourceSeriesInstanceUid'])]
    for path, rows in (('annotations.csv', nodules), ('excluded.csv', excluded)):
        with open(os.path.join(a.out, path), 'w', newline='') as f:
            w = csv.writer(f)
            w.writerow(FIELDS)
            w.writerows(rows)
    cmd = ['node', 'bin/pulmolens.mjs', 'eval', '--studies', studies, '--annotations', os.path.join(a.out, 'annotations.csv'),
           '--excluded', os.path.join(a.out, 'excluded.csv'), '--out', os.path.join(a.out, 'eval')]
    print('+', ' '.join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


if __name__ == '__main__':
    main()
