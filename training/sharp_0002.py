"""The shipped characterizer where nothing was fitted: LIDC-IDRI-0002 (its training background)
through sharp reconstruction kernels (runs/insert/LIDC-IDRI-0002-k15-s60..64 and -k3-s65..69,
run_all.sh; train_char.py leaves sharp copies out), scored as the app scores any series (the mean
of all shipped members, app merge) at the manifest's threshold - the same figures as split_cv.py's
"trainingBackgroundSharpKernels", for the shipped split alone, without the choosing sets.

  /usr/bin/python3 training/sharp_0002.py
"""
import json
import os

from common import MODELS, RUNS
from cross_fit import CrossFitted
from cv_report import SCORE_P, SHIP_SPLIT, calibrated, exact_logits, finding_score, load_net
from split_cv import print_sharp_kernels, sharp_kernel_figures
from train_char import load_backgrounds


def main():
    thr = json.load(open(os.path.join(MODELS, 'manifest.json')))['operatingPoint']['threshold']
    shift = load_backgrounds(['LIDC-IDRI-0002'], lambda n: '-k' in n, cubes=False)
    if not shift:
        raise SystemExit('no LIDC-IDRI-0002 sharp-kernel series mined under runs/mined (run_all.sh, then mine_all.sh)')
    ship = CrossFitted(SHIP_SPLIT, load_net, exact_logits)
    out = sharp_kernel_figures(shift, lambda s: finding_score(calibrated(ship.app_logits(s), 1.0), s, SCORE_P), thr)
    json.dump({'threshold': thr, **out}, open(os.path.join(RUNS, 'sharp-0002.json'), 'w'), indent=1)
    print(f'shipped members at the threshold {thr}:')
    print_sharp_kernels(out)


if __name__ == '__main__':
    main()
