"""The shipped characterizer where nothing was fitted: LIDC-IDRI-0002 (its training background)
through sharp reconstruction kernels (runs/insert/LIDC-IDRI-0002-k15-s60..64 and -k3-s65..69,
run_all.sh; train_char.py leaves sharp copies out), scored as the app scores any series (the mean
of all shipped members, app merge) at the manifest's threshold - the same figures as split_cv.py's
"trainingBackgroundSharpKernels", for the shipped split alone, without the choosing sets.
Session 45: the shipped score, p_nodule fused with the fusion detector's heat (cv_report.fuse_logits;
heat in runs/heat/ by heatmap_at_candidates.ts); --unfused THR adds p_nodule alone at THR (the
threshold before the fusion, 0.911) for the comparison.

  /usr/bin/python3 training/sharp_0002.py [--unfused THR]
"""
import argparse
import json
import os

from common import MODELS, RUNS
from cross_fit import CrossFitted
from cv_report import SCORE_P, SHIP_SPLIT, calibrated, exact_logits, finding_score, fuse_logits, fusion_spec, load_net
from split_cv import print_sharp_kernels, sharp_kernel_figures
from train_char import load_backgrounds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--unfused', type=float, metavar='THR', help='also p_nodule alone at this threshold')
    a = ap.parse_args()
    thr = json.load(open(os.path.join(MODELS, 'manifest.json')))['operatingPoint']['threshold']
    shift = load_backgrounds(['LIDC-IDRI-0002'], lambda n: '-k' in n, cubes=False)
    if not shift:
        raise SystemExit('no LIDC-IDRI-0002 sharp-kernel series mined under runs/mined (run_all.sh, then mine_all.sh)')
    ship = CrossFitted(SHIP_SPLIT, load_net, exact_logits)
    fusion = fusion_spec()
    logits = {s.name: ship.app_logits(s) for s in shift}
    out = sharp_kernel_figures(shift, lambda s: finding_score(calibrated(fuse_logits(logits[s.name], s, 1.0, fusion), 1.0), s, SCORE_P), thr)
    rec = {'threshold': thr, 'fusion': fusion, **out}
    print(f'shipped members at the threshold {thr}:')
    print_sharp_kernels(out)
    if a.unfused is not None:
        rec['unfused'] = {'threshold': a.unfused, **sharp_kernel_figures(shift, lambda s: finding_score(calibrated(logits[s.name], 1.0), s, SCORE_P), a.unfused)}
        print(f'p_nodule alone at {a.unfused}:')
        print_sharp_kernels(rec['unfused'])
    json.dump(rec, open(os.path.join(RUNS, 'sharp-0002.json'), 'w'), indent=1)


if __name__ == '__main__':
    main()
