#!/usr/bin/env python3
"""Session 40 (an experiment; training/README): a type head that reads the ray profiles as well.

type_head.py refits a linear head on the members' frozen 32-dim features; with a solid guard it
gained almost nothing (training/type_head_thin.sh). Session 39 saw a head over radial HU summaries
choose better. Here: logits = the 8 heads' mean (L2-pulled to the shipped ones, lambda) + a linear
map of the stem's ray profiles pooled over the 26 directions (mean, min, max: 3 x 28 values) and
the two centre values (standardised; L2 to 0, lambda_r), then a margin on the solid logit; the
grid point with the most types right on the choosing series among those calling no listed solid
nodule otherwise. Sets as in type_head_thin.sh; seeds 41-48 and faint 213-224 are read after.
Offline only: the app's graph has no such head.

  /usr/bin/python3 training/type_ray_head.py --out training/runs/type-head/ray-head.json
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import type_head as th  # noqa: E402
from common import RUNS, p_nodule_threshold  # noqa: E402
from onnx_members import member_nets  # noqa: E402
from train_char import TTA_ORDER, symmetry  # noqa: E402

MINED = os.path.join(RUNS, 'type-mined')
K = 'confusion(rows truth, cols call; solid, part-solid, ground-glass)'


def npz(prefix, seeds):
    return [os.path.join(MINED, f'{prefix}-s{s}.npz') for s in seeds]


TRAIN = (npz('LIDC-IDRI-0002', range(1, 13)) + npz('LIDC-IDRI-0002', range(201, 213))
         + npz('LIDC-IDRI-0002-k15', [61, 62]) + npz('LIDC-IDRI-0002-k3', [66, 67]))
CHOOSE = (npz('LIDC-IDRI-0001', range(1, 13)) + npz('LIDC-IDRI-0001', range(201, 213))
          + npz('LIDC-IDRI-0001-k15', [85, 86]) + npz('LIDC-IDRI-0001-k3', [87, 88]))
TESTS = {'test faint 213-224': npz('LIDC-IDRI-0001', range(213, 225)), 'test 41-48': npz('LIDC-IDRI-0001', range(41, 49))}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--onnx', default=os.path.join(RUNS, 'type-head', 'base-characterizer.onnx'))
    ap.add_argument('--out', required=True)
    ap.add_argument('--threshold', type=float, help="p_nodule's (needed when the manifest's is on a fused score)")
    a = ap.parse_args()
    torch.set_num_threads(2)
    thr = p_nodule_threshold(a.threshold)
    nets = member_nets(a.onnx)
    heads = th.HeadSet(nets)

    def feats(cubes):
        zs, rs = [], []
        with torch.no_grad():
            for s in range(0, len(cubes), 256):
                prof, centre = nets[0].rays(torch.from_numpy(cubes[s:s + 256].astype(np.float32)))
                zs.append(torch.stack([m.features_from_rays(prof, centre) for m in nets], 1))
                rs.append(torch.cat([prof.mean(1), prof.amin(1), prof.amax(1), centre.reshape(-1, 2)], 1))
        return torch.cat(zs), torch.cat(rs)

    tr = th.load(TRAIN)
    parts = [feats(symmetry(torch.from_numpy(tr['cubes'].astype(np.float32)), t).numpy()) for t in TTA_ORDER]
    z_tr, r_tr = torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])
    y_tr = torch.from_numpy(np.tile(tr['type_idx'], len(TTA_ORDER)))
    w_tr = th.sample_weights(tr).repeat(len(TTA_ORDER))
    mu, sd = r_tr.mean(0), r_tr.std(0) + 1e-6
    r_tr = (r_tr - mu) / sd
    sets = {}
    for name, paths in [('choose', CHOOSE), *TESTS.items()]:
        d = th.load(paths)
        z, r = feats(d['cubes'])
        sets[name] = (d, z, (r - mu) / sd, th.p_nodule(nets, z))

    def logits(z, r, w, b, v):
        return th.HeadSet.logits(z, w, b) + r @ v.T

    def fit(lam, lam_r):
        w = heads.w0.clone().requires_grad_(True)
        b = heads.b0.clone().requires_grad_(True)
        v = torch.zeros(3, r_tr.shape[1], requires_grad=True)
        opt = torch.optim.LBFGS([w, b, v], lr=1, max_iter=300, line_search_fn='strong_wolfe')
        scale = float(heads.w0.pow(2).sum() + heads.b0.pow(2).sum())

        def closure():
            opt.zero_grad()
            ce = (F.cross_entropy(logits(z_tr, r_tr, w, b, v), y_tr, reduction='none') * w_tr).sum() / w_tr.sum()
            loss = (ce + lam * ((w - heads.w0).pow(2).sum() + (b - heads.b0).pow(2).sum()) / scale
                    + lam_r * v.pow(2).sum())
            loss.backward()
            return loss

        opt.step(closure)
        return w.detach(), b.detach(), v.detach()

    def score(name, w, b, v, margin):
        d, z, r, pn = sets[name]
        return th.summary(th.calls_at_strongest(d, logits(z, r, w, th.with_solid_margin(b, margin), v), pn), thr)

    zero = torch.zeros(3, r_tr.shape[1])
    report = {'threshold': thr, 'shipped': {k: score(k, heads.w0, heads.b0, zero, 0) for k in sets}, 'grid': {}}
    best = None
    for lam in (0.1, 0.01, 0.001):  # a tie keeps the larger pulls and the smaller margin
        for lam_r in (0.1, 0.01, 0.001):
            w, b, v = fit(lam, lam_r)
            for margin in (0, 0.5, 1, 1.5, 2):
                s = score('choose', w, b, v, margin)
                key = f'lambda {lam}, lambda_r {lam_r}, solid+{margin}'
                report['grid'][key] = s
                print(key, s['typesRight'], s[K], flush=True)
                if th.solids_called_otherwise(s) > th.solids_called_otherwise(report['shipped']['choose']):
                    continue
                if best is None or s['typesRight'] > best[0]:
                    best = (s['typesRight'], key, margin, (w, b, v))
    _, key, margin, (w, b, v) = best
    report['chosen'] = {'fit': key, **{k: score(k, w, b, v, margin) for k in sets}}
    json.dump(report, open(a.out, 'w'), indent=1)
    for k in sets:
        print(k, 'shipped', report['shipped'][k]['typesRight'], report['shipped'][k][K],
              '-> chosen', report['chosen'][k]['typesRight'], report['chosen'][k][K])


if __name__ == '__main__':
    main()
