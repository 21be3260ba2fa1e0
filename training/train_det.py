"""Detector v2: the 3D U-Net trained on the real background of LIDC-IDRI-0002 (issue 10, stage 1).

v1 learned from synthetic phantoms and never met a real vessel junction: on real scans its 200
strongest peaks are vessels, and most ground-glass nodules get no peak. v2 trains the same
architecture (models.Detector, so the app's sliding window, blending and heatmap are unchanged) on
what the app itself feeds it: every LIDC-IDRI-0002 series with nodules inserted on the native DICOM
grid (insert_nodules.py: 1.25 mm, the 2.5 and 3.75 mm copies, the harder mix) and the original
scan, resampled to the model grid by the app (dump_grid.ts). LIDC-IDRI-0001 is never read.

Patches (48^3 of the 1 mm grid): half centred near an inserted nodule (jittered), 30% on dense
tissue inside the lung mask (vessels, airway walls, pleura: the hard negatives), 20% anywhere in
the lung mask. Target: the nodule's sphere; loss weight 0 inside nodules the site check rejected
(centred outside the aerated lung) and around LUNA16 excluded marks (max(1.5 r, r + 10) mm, 15 mm
without a diameter), as char_data.py labels. Weighted BCE + soft Dice. Augmentation: flips, x/y
transpose, HU offset +-40, noise 0-20 HU. Resumable (ckpt.pt every 200 steps); curve.jsonl.

  /usr/bin/python3 training/train_det.py --name det-v2 --steps 3000 [--threads 2]
writes training/runs/det/<name>/{detector.pt,ckpt.pt,curve.jsonl,train.json}
"""
import argparse
import glob
import json
import math
import os
import time

import numpy as np
import torch

from common import HU_WINDOW, RUNS, SHARED
from models import Detector, heatmap_loss

CROP = 48


def excluded(series_uid):
    out = []
    for line in open(os.path.join(SHARED, 'ct', 'luna16-annotations-excluded.csv')).read().strip().split('\n')[1:]:
        uid, x, y, z, d = line.split(',')
        if uid == series_uid:
            out.append(((float(x), float(y), float(z)), float(d)))
    return out


def fit_affine(nodules):
    """world = A @ grid + b from the inserted nodules (grid voxels and world LPS both known)."""
    if len(nodules) < 4:
        return None
    G = np.array([n['grid'] + [1.0] for n in nodules])
    W = np.array([n['world'] for n in nodules])
    M, *_ = np.linalg.lstsq(G, W, rcond=None)
    if np.abs(G @ M - W).max() > 0.05:
        return None
    return M


class Series:
    def __init__(self, base, rng):
        meta = json.load(open(base + '.json'))
        self.name = meta['name']
        gx, gy, gz = meta['dims']
        self.vol = np.memmap(base + '.i16', dtype=np.int16, mode='r', shape=(gz, gy, gx))
        cx, cy, cz = meta['coarseDims']
        mask = np.fromfile(base + '.mask.u8', dtype=np.uint8).reshape(cz, cy, cx)
        self.step = meta['coarseStep']
        self.nodules = meta['nodules']
        truth = os.path.join(RUNS, 'insert', self.name + '.json')
        if os.path.exists(truth):
            world = {n['id']: n['worldLps'] for n in json.load(open(truth))['nodules']}
            for n in self.nodules:
                n['world'] = world[n['id']]
        self.pos = [(np.array(n['grid'][::-1]), n['diameterMm'] / 2) for n in self.nodules if n['valid']]
        self.ignore = [(np.array(n['grid'][::-1]), n['diameterMm'] / 2 * 1.2 + 1) for n in self.nodules if not n['valid']]
        self.affine = fit_affine(self.nodules)
        # Lung voxels (model grid, z y x) and the dense ones among them: sampled once.
        zz, yy, xx = np.nonzero(mask)
        pick = rng.choice(len(zz), min(len(zz), 40000), replace=False)
        pts = np.stack([zz[pick] * self.step[2], yy[pick] * self.step[1], xx[pick] * self.step[0]], 1).astype(int)
        pts = np.minimum(pts, np.array([gz - 1, gy - 1, gx - 1]))
        hu = self.vol[pts[:, 0], pts[:, 1], pts[:, 2]]
        self.lung = pts
        self.dense = pts[hu > -500]
        if len(self.dense) == 0:
            self.dense = pts

    def set_excluded(self, marks, affine):
        if affine is None or not marks:
            return
        A, b = affine[:3], affine[3]
        inv = np.linalg.inv(A.T)
        for (w, d) in marks:
            g = inv @ (np.array(w) - b)
            r = 15.0 if d <= 0 else max(1.5 * d / 2, d / 2 + 10)
            self.ignore.append((g[::-1], r))

    def sample(self, rng, kind, small_weight=0.0):
        if kind == 'pos' and self.pos:
            c, r = self.pos[rng.integers(len(self.pos))]
            jit = min(CROP / 2 - r - 2, 14)
            c = c + (rng.uniform(-jit, jit, 3) if jit > 0 else 0)
        elif kind == 'dense':
            c = self.dense[rng.integers(len(self.dense))] + rng.integers(-3, 4, 3)
        else:
            c = self.lung[rng.integers(len(self.lung))]
        lo = np.round(np.asarray(c, dtype=float)).astype(int) - CROP // 2
        x = np.full((CROP,) * 3, -1000, dtype=np.float32)
        src = [slice(max(0, l), min(s, l + CROP)) for l, s in zip(lo, self.vol.shape)]
        dst = [slice(sl.start - l, sl.stop - l) for sl, l in zip(src, lo)]
        if all(sl.stop > sl.start for sl in src):
            x[tuple(dst)] = self.vol[tuple(src)]
        ax = np.arange(CROP)
        z, y, xg = np.meshgrid(ax + lo[0], ax + lo[1], ax + lo[2], indexing='ij')
        t = np.zeros_like(x)
        w = np.ones_like(x)
        for cc, r in self.pos:
            if np.all(np.abs(cc - (lo + CROP / 2)) < CROP / 2 + r):
                inside = (z - cc[0]) ** 2 + (y - cc[1]) ** 2 + (xg - cc[2]) ** 2 <= max(r, 1.5) ** 2
                t[inside] = 1
                if small_weight > 0:
                    # A 4 mm nodule has 1/300 of the voxels of a 25 mm one: weight its voxels up so
                    # small nodules are not a rounding error of the loss.
                    w[inside] = min(small_weight, max(1.0, (5.0 / max(r, 1.5)) ** 2))
        for cc, r in self.ignore:
            if np.all(np.abs(cc - (lo + CROP / 2)) < CROP / 2 + r):
                w[(z - cc[0]) ** 2 + (y - cc[1]) ** 2 + (xg - cc[2]) ** 2 <= r * r] = 0
        return x, t, w


def augment(x, t, w, rng):
    for ax in range(3):
        if rng.random() < 0.5:
            x, t, w = np.flip(x, ax), np.flip(t, ax), np.flip(w, ax)
    if rng.random() < 0.5:
        x, t, w = np.swapaxes(x, 1, 2), np.swapaxes(t, 1, 2), np.swapaxes(w, 1, 2)
    x = x + rng.uniform(-40, 40)
    s = rng.uniform(0, 20)
    if s > 1:
        x = x + rng.normal(0, s, x.shape).astype(np.float32)
    lo, hi = HU_WINDOW
    x = (np.clip(x, lo, hi) - lo) / (hi - lo)
    return [np.ascontiguousarray(a, dtype=np.float32) for a in (x, t, w)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--name', default='det-v2')
    ap.add_argument('--grid', default=os.path.join(RUNS, 'grid'))
    ap.add_argument('--steps', type=int, default=3000)
    ap.add_argument('--batch', type=int, default=8)
    ap.add_argument('--lr', type=float, default=3e-3)
    ap.add_argument('--pos-weight', type=float, default=3.0)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--small-weight', type=float, default=0.0,
                    help='up-weight the voxels of nodules under 10 mm by (5 mm / r)^2, at most this (0: off)')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--max-minutes', type=float, default=60)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    out = os.path.join(RUNS, 'det', a.name)
    os.makedirs(out, exist_ok=True)
    bases = sorted(p[:-5] for p in glob.glob(os.path.join(a.grid, 'LIDC-IDRI-0002*.json')))
    series = [Series(b, rng) for b in bases]
    # LUNA16 excluded marks of the LIDC-IDRI-0002 background, mapped through each series' own affine
    # (insertion series keep the scan's geometry per slice thickness: borrow a sibling's fit).
    orig = [s for s in series if s.name == 'LIDC-IDRI-0002']
    uid = json.load(open(os.path.join(a.grid, 'LIDC-IDRI-0002.json')))['seriesInstanceUid'] if orig else None
    marks = excluded(uid) if uid else []
    kind_of = lambda s: next((k for k in ('t2', 't3', 't4') if f'-{k}-' in s.name), '1.25')
    fits = {}
    for s in series:
        if s.affine is not None:
            fits.setdefault(kind_of(s), s.affine)
    for s in series:
        s.set_excluded(marks, s.affine if s.affine is not None else fits.get(kind_of(s)))
    with_pos = [s for s in series if s.pos]
    n_pos = sum(len(s.pos) for s in series)
    print(f'{len(series)} series, {n_pos} valid nodules, {len(marks)} excluded marks; affines for {sorted(fits)}', flush=True)

    net = Detector()
    opt = torch.optim.AdamW(net.parameters(), lr=a.lr, weight_decay=1e-4)
    start = 1
    ck = os.path.join(out, 'ckpt.pt')
    if os.path.exists(ck):
        state = torch.load(ck)
        net.load_state_dict(state['net'])
        opt.load_state_dict(state['opt'])
        start = state['step'] + 1
        rng = np.random.default_rng(a.seed + start)
    curve = open(os.path.join(out, 'curve.jsonl'), 'a')
    t0 = time.time()
    ema = None
    step = start - 1
    pw = torch.tensor(a.pos_weight)
    for step in range(start, a.steps + 1):
        lr = a.lr * min(1.0, step / 100) * 0.5 * (1 + math.cos(math.pi * (step - 1) / a.steps))
        for g in opt.param_groups:
            g['lr'] = lr
        xs, ts, ws = [], [], []
        for i in range(a.batch):
            u = i / a.batch
            kind = 'pos' if u < 0.5 else 'dense' if u < 0.8 else 'lung'
            s = with_pos[rng.integers(len(with_pos))] if kind == 'pos' else series[rng.integers(len(series))]
            x, t, w = augment(*s.sample(rng, kind, a.small_weight), rng)
            xs.append(x); ts.append(t); ws.append(w)
        x = torch.from_numpy(np.stack(xs))[:, None]
        y = torch.from_numpy(np.stack(ts))[:, None]
        w = torch.from_numpy(np.stack(ws))[:, None]
        net.train()
        loss, bce, dice = heatmap_loss(net.logits(x), y, pw, w)
        opt.zero_grad()
        loss.backward()
        opt.step()
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        if step % 25 == 0:
            curve.write(json.dumps({'step': step, 'loss': round(ema, 5), 'bce': round(bce.item(), 5), 'dice': round(dice.item(), 5), 'lr': lr, 's': round(time.time() - t0)}) + '\n')
            curve.flush()
            print(f'step {step}/{a.steps} loss {ema:.4f} bce {bce.item():.4f} dice {dice.item():.4f} {time.time() - t0:.0f}s', flush=True)
        if step % 200 == 0 or step == a.steps:
            torch.save({'net': net.state_dict(), 'opt': opt.state_dict(), 'step': step}, ck + '.tmp')
            os.replace(ck + '.tmp', ck)
        if time.time() - t0 > a.max_minutes * 60:
            print(f'wall-clock guard at step {step}', flush=True)
            break
    torch.save(net.state_dict(), os.path.join(out, 'detector.pt'))
    json.dump({'name': a.name, 'steps': step, 'batch': a.batch, 'crop': CROP, 'lr': a.lr, 'posWeight': a.pos_weight, 'smallWeight': a.small_weight,
               'seed': a.seed, 'series': [s.name for s in series], 'nodules': n_pos, 'excludedMarks': len(marks),
               'seconds': round(time.time() - t0), 'finalLossEma': round(ema, 5) if ema else None},
              open(os.path.join(out, 'train.json'), 'w'), indent=1)


if __name__ == '__main__':
    main()
