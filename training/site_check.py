"""Marks every inserted nodule whose centre is not inside the aerated lung of the ORIGINAL scan
(insert_nodules.lung_masks, native grid). Such a nodule (e.g. one the vessel-site rule pushed
into the hilum or beside the mediastinum) would teach the characterizer that mediastinal
structures are nodules: char_data.py ignores it (no positives, no negatives near it, not in the
sensitivity denominators).

  /usr/bin/python3 training/site_check.py        # writes runs/insert/<name>.sites.json
  /usr/bin/python3 training/site_check.py DIR    # the insertions of an experiment under DIR
"""
import glob
import json
import os
import sys

import numpy as np

from common import RUNS
from insert_nodules import load_series, lung_masks, series_dir

INSERT = os.path.join(RUNS, 'insert')


def main():
    by_study = {}
    folder = sys.argv[1] if len(sys.argv) > 1 else INSERT
    for p in sorted(glob.glob(os.path.join(folder, 'LIDC-IDRI-*-s*.json'))):
        if p.endswith('.sites.json'):
            continue
        by_study.setdefault(json.load(open(p))['study'], []).append(p)
    for study, paths in by_study.items():
        todo = [p for p in paths if not os.path.exists(p[:-5] + '.sites.json')]
        if not todo:
            continue
        _, _, _, hu, (dx, dy, dz), _, origin, zs = load_series(series_dir(study.split('-')[-1]))
        lung, _, _ = lung_masks(hu)
        for p in todo:
            meta = json.load(open(p))
            out = {}
            for n in meta['nodules']:
                x, y, z = n['worldLps']
                i, j, k = int(round((x - origin[0]) / dx)), int(round((y - origin[1]) / dy)), int(np.argmin(np.abs(zs - z)))
                out[n['id']] = bool(lung[k, j, i])
            json.dump(out, open(p[:-5] + '.sites.json', 'w'), indent=1)
            print(f'{os.path.basename(p)}: {sum(out.values())} of {len(out)} centres inside the aerated lung', flush=True)


if __name__ == '__main__':
    main()
