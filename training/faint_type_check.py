#!/usr/bin/env python3
"""Session 41: the type calls of member sets on LIDC-IDRI-0001's faint insertions (insert_nodules.py
--mix faint: ground glass -750..-600 HU; never training data), read like attribute_check.py reads
the standard test seeds (per inserted nodule, the hitting candidate with the highest score, the
ensemble of all members as the app runs it; since session 45 the score is fused with the fusion
detector's heat, which heatmap_at_candidates.ts must have written into runs/heat/ for the series), so training/faint_experiment.sh's s40f (the recipe plus
LIDC-IDRI-0002's faint series) can be compared with s40b (the recipe) and the shipped members.

  /usr/bin/python3 training/faint_type_check.py --members ship s40b s40f \\
      --insert training/runs/insert-faint2 --mined training/runs/mined-faint2 --seeds 213-224 [--out F]
"""
import argparse
import json
import os

from attribute_check import member_runs, nodule_rows, summarise
from char_data import Series
from common import MODELS, RUNS
from cv_report import fusion_spec, load_net


def seed_range(text):
    lo, hi = (int(v) for v in text.split('-'))
    return range(lo, hi + 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--members', nargs='+', required=True, help="run-name prefixes (8 members: <prefix>-k<slab>-seed<0,1>)")
    ap.add_argument('--insert', required=True)
    ap.add_argument('--mined', required=True)
    ap.add_argument('--seeds', type=seed_range, required=True)
    ap.add_argument('--study', default='0001')
    ap.add_argument('--out', default=os.path.join(RUNS, 'faint-type-check.json'))
    a = ap.parse_args()
    threshold = json.load(open(os.path.join(MODELS, 'manifest.json')))['operatingPoint']['threshold']
    names = [f'LIDC-IDRI-{a.study}-s{s}' for s in a.seeds]
    series = [Series(n, os.path.join(a.mined, n), os.path.join(a.insert, n + '.json'), cubes=False) for n in names]
    fusion = fusion_spec()
    report = {'series': names, 'threshold': threshold, 'fusion': fusion, 'members': {}}
    for prefix in a.members:
        rows = nodule_rows(load_net(os.path.join(RUNS, 'char', member_runs(prefix), 'model.pt')), series, fusion)
        s = summarise(rows, threshold)
        report['members'][prefix] = {'summary': s, 'rows': rows}
        c = s['with a candidate']
        conf = c['typeConfusion']
        print(f"{prefix}: {c['nodules']} nodules with a candidate, type right {c['typeAccuracy']}; part-solid called solid "
              f"{conf['part-solid']['solid']} of {sum(conf['part-solid'].values())}, ground-glass called solid "
              f"{conf['ground-glass']['solid']} of {sum(conf['ground-glass'].values())}, solid called otherwise "
              f"{sum(conf['solid'].values()) - conf['solid']['solid']} of {sum(conf['solid'].values())}", flush=True)
    json.dump(report, open(a.out, 'w'), indent=1)


if __name__ == '__main__':
    main()
