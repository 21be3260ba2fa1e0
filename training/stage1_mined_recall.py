#!/usr/bin/env python3
"""Stage-1 recall from mined candidate lists: for each inserted series, how many valid nodules (site
check) have a candidate centre within their radius (the LUNA16 hit rule), by size band, and the
candidates per scan; several mined folders side by side (e.g. the shipped detector against a trial
one: mine_all.sh with PULMOLENS_MINED / MINE_MODELS).

  /usr/bin/python3 training/stage1_mined_recall.py --mined training/runs/mined training/runs/mined-dv3 \\
      --series LIDC-IDRI-0001-s5 ... [--source unet both] [--union]
--union adds one row for the union of the folders' candidate lists (two stage-1 sources run side by side).
"""
import argparse
import os

import numpy as np

from char_data import Series
from common import RUNS

BANDS = (('3-4', 3, 4), ('4-6', 4, 6), ('>=6', 6, 99), ('>=4', 4, 99))


def recall(mined_dirs, names, source=None):
    hits = {b[0]: [0, 0] for b in BANDS}
    gg = [0, 0]
    n_cand = []
    for name in names:
        # char_data's labelling: site-checked nodules, a hit = a candidate within the radius.
        found, count = set(), 0
        for m in mined_dirs:
            s = Series(name, os.path.join(m, name), os.path.join(RUNS, 'insert', name + '.json'), cubes=False)
            keep = [i for i, c in enumerate(s.meta['candidates']) if not source or c['source'] in source]
            found |= {int(s.hit[i]) for i in keep if s.hit[i] >= 0}
            count += len(keep)
        n_cand.append(count)
        for i, n in enumerate(s.inserted):
            d, hit = n['diameterMm'], i in found
            for b, lo, hi in BANDS:
                if lo <= d < hi:
                    hits[b][0] += hit
                    hits[b][1] += 1
            if d >= 4 and n['type'] != 'solid':
                gg[0] += hit
                gg[1] += 1
    return hits, gg, float(np.mean(n_cand))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--mined', nargs='+', required=True)
    ap.add_argument('--series', nargs='+', required=True)
    ap.add_argument('--source', nargs='*', help='only candidates of these sources (blob, unet, both)')
    ap.add_argument('--union', action='store_true', help='also the union of all folders')
    a = ap.parse_args()
    rows = [[m] for m in a.mined] + ([a.mined] if a.union and len(a.mined) > 1 else [])
    for ms in rows:
        hits, gg, nc = recall(ms, a.series, a.source)
        band = '  '.join(f'{b} {h}/{t}' for b, (h, t) in hits.items())
        print(f"{' + '.join(ms)}: {band}  non-solid>=4 {gg[0]}/{gg[1]}  candidates/scan {nc:.0f}")


if __name__ == '__main__':
    main()
