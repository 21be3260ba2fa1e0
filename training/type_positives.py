#!/usr/bin/env python3
"""Keeps a mined series' positives only: the app's cubes at the stage-1 candidates inside an
inserted nodule (char_data's hit rule), with the nodule's type and size, in one small .npz.

The type head is fitted on positives alone (training/type_head.py), and a whole mined series is
~0.4 GB of cubes, ~1,500 of them negatives: this keeps ~10-30 cubes of a series and removes the
miner's own cube file afterwards (it made it; --keep leaves it).

  /usr/bin/python3 training/type_positives.py <mined-prefix> <sidecar.json> --out <file.npz> [--keep]
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from char_data import Series  # noqa: E402


def positives(name, prefix, sidecar):
    s = Series(name, prefix, sidecar)
    keep = np.flatnonzero(s.labels == 1)
    world = np.array([s.meta['candidates'][i]['world'] for i in keep], np.float64).reshape(-1, 3)
    nod = [s.inserted[h] for h in s.hit[keep]]
    return {
        'cubes': s.cubes[keep],
        'type_idx': s.type_idx[keep],
        'nodule_id': np.array([n['id'] for n in nod], dtype='U64'),
        'diameter_mm': np.array([n['diameterMm'] for n in nod], np.float32),
        'offset_mm': np.array([np.linalg.norm(w - np.array(n['worldLps'])) for w, n in zip(world, nod)], np.float32),
        'series': np.array([name] * len(keep), dtype='U64'),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('prefix')
    ap.add_argument('sidecar')
    ap.add_argument('--out', required=True)
    ap.add_argument('--keep', action='store_true')
    a = ap.parse_args()
    if os.path.exists(a.out):
        raise SystemExit(f'{a.out} exists: not overwritten')
    name = os.path.basename(a.prefix)
    p = positives(name, a.prefix, a.sidecar)
    tmp = a.out + '.tmp.npz'
    np.savez_compressed(tmp, **p)
    os.replace(tmp, a.out)
    if not a.keep:
        os.remove(a.prefix + '.cubes.f32')
    counts = np.bincount(p['type_idx'], minlength=3).tolist()
    print(json.dumps({'series': name, 'positives': int(len(p['type_idx'])), 'byType': counts,
                      'nodules': int(len(set(p['nodule_id'].tolist())))}))


if __name__ == '__main__':
    main()
