#!/usr/bin/env python3
"""Session 45: would a learned combination of what stage 1 and both U-Nets know about a candidate
beat the shipped one-weight fusion? The shipped score is sigmoid(z / T + 0.2 logit(h)) (z the
members' logit, cross-fitted over the slabs; h det-v4's heat; fusion_check.py chose 0.2). Here a
logistic regression ("stacker") over z / T, logit(h) and, per feature set, the shipped v1 U-Net's
heat at the candidate, the blob scale and response and the candidate's source (blob, U-Net, both;
training/runs/mined/<name>.json) is fitted on the candidates of three of the four choosing sets and
scores the fourth (leave one set out), so every choosing-set figure is on candidates its fit never
saw; the nodule-weighted CPM over the four is compared with the shipped fusion's, the rule that
chose the fusion. The test sets are not read. Positives are up-weighted to balance the classes
(L2 1e-3 on standardised features).

  /usr/bin/python3 training/stack_check.py [--out training/stack-check.json]
"""
import argparse
import json
import os

import numpy as np
import torch

from char_data import Series
from common import RUNS
from cross_fit import CrossFitted
from cv_report import (SCORE_P, SHIP_SPLIT, calibrated, exact_logits, finding_score, fit_temperature, froc_rows, fused_logit, fusion_spec,
                       heat_of, load_net, nodule_table, sens_at)
from fusion_check import CHOOSING, SETS

FEATURE_SETS = {
    'z, h (the shipped fusion\'s inputs)': ('z', 'h4'),
    '+ v1 U-Net heat': ('z', 'h4', 'h1'),
    '+ blob scale, blob response, source': ('z', 'h4', 'lscale', 'lblob', 'unet', 'both'),
    'all, with scale interactions': ('z', 'h4', 'h1', 'lscale', 'lblob', 'unet', 'both', 'z_lscale', 'h4_lscale'),
}
CLIP = 1e-4


def logit(p):
    p = np.clip(np.asarray(p, dtype=np.float64), CLIP, 1 - CLIP)
    return np.log(p / (1 - p))


def load(name, ship, fusion):
    s = Series(name, os.path.join(RUNS, 'mined', name), os.path.join(RUNS, 'insert', name + '.json'), cubes=False)
    c = s.meta['candidates']
    v1 = json.load(open(os.path.join(RUNS, 'heat', name + '.json')))['models']['models']
    return {'series': s, 'z': ship.series_logits(s), 'h4': heat_of(s, fusion), 'h1': np.asarray(v1, dtype=np.float64),
            'scale': np.array([x['scaleMm'] for x in c], dtype=np.float64),
            'blob': np.array([x['blobScore'] or 0 for x in c], dtype=np.float64),
            'source': np.array([x['source'] for x in c])}


def features(d, t, names):
    ls = np.log(d['scale'])
    cols = {'z': d['z'] / t, 'h4': logit(d['h4']), 'h1': logit(d['h1']), 'lscale': ls, 'lblob': np.log1p(d['blob']),
            'unet': (d['source'] == 'unet').astype(float), 'both': (d['source'] == 'both').astype(float),
            'z_lscale': d['z'] / t * ls, 'h4_lscale': logit(d['h4']) * ls}
    return np.stack([cols[n] for n in names], 1)


def fit(items, t, names, l2=1e-3):
    x = np.concatenate([features(d, t, names) for d in items])
    y = np.concatenate([d['series'].labels for d in items])
    keep = y >= 0
    x, y = x[keep], y[keep].astype(np.float64)
    mu, sd = x.mean(0), x.std(0) + 1e-9
    xt, yt = torch.tensor((x - mu) / sd), torch.tensor(y)
    w = torch.zeros(x.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    pos_weight = torch.tensor((1 - y).sum() / y.sum())
    opt = torch.optim.LBFGS([w, b], max_iter=200)

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(xt @ w + b, yt, pos_weight=pos_weight) + l2 * (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    coef = w.detach().numpy() / sd
    return coef, float(b.detach()) - float((coef * mu).sum())


def figures(items, p_of):
    series = [d['series'] for d in items]
    sc = [finding_score(p_of(d), d['series'], SCORE_P) for d in items]
    rows = nodule_table(series, sc)
    fp = np.concatenate([x[s.labels == 0] for s, x in zip(series, sc)])
    n = len(series)
    return {'cpm': round(froc_rows(rows, fp, n)[1], 4), 'nodules': len(rows),
            'ge6At1': round(sens_at([r for r in rows if r['diameterMm'] >= 6], fp, n, 1), 4),
            'small3to6At1': round(sens_at([r for r in rows if 3 <= r['diameterMm'] < 6], fp, n, 1), 4)}


def weighted(by_set):
    return round(sum(v['cpm'] * v['nodules'] for v in by_set.values()) / sum(v['nodules'] for v in by_set.values()), 4)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), 'stack-check.json'))
    a = ap.parse_args()
    fusion = fusion_spec()
    if fusion is None:
        raise SystemExit('no shipped fusion (fusion-check-det-v4.json) to compare with')
    ship = CrossFitted(SHIP_SPLIT, load_net, exact_logits)
    data = {k: [load(n, ship, fusion) for n in SETS[k]] for k in CHOOSING}
    t = fit_temperature([d['z'] for d in data['calibration']], [d['series'].labels for d in data['calibration']])
    shipped = {k: figures(data[k], lambda d: calibrated(fused_logit(d['z'], d['h4'], t, fusion['weight']), t)) for k in CHOOSING}
    out = {'temperature': t, 'fusionWeight': fusion['weight'],
           'shipped fusion': {'sets': shipped, 'choosing (nodule-weighted CPM)': weighted(shipped)}, 'stackers': {}}
    print(f"shipped fusion: choosing {weighted(shipped)} " + ' '.join(f"{k} {v['cpm']}" for k, v in shipped.items()), flush=True)
    for label, names in FEATURE_SETS.items():
        by_set, coefs = {}, {}
        for k in CHOOSING:
            coef, bias = fit([d for kk in CHOOSING if kk != k for d in data[kk]], t, names)
            coefs[k] = {**{n: round(float(c), 4) for n, c in zip(names, coef)}, 'bias': round(bias, 4)}
            by_set[k] = figures(data[k], lambda d, coef=coef, bias=bias: calibrated(features(d, t, names) @ coef + bias, 1.0))
        out['stackers'][label] = {'features': list(names), 'sets': by_set, 'choosing (nodule-weighted CPM)': weighted(by_set),
                                  'coefficients (fit without the set)': coefs}
        print(f"{label}: choosing {weighted(by_set)} " + ' '.join(f"{k} {v['cpm']}" for k, v in by_set.items()), flush=True)
    json.dump(out, open(a.out, 'w'), indent=1)


if __name__ == '__main__':
    main()
