"""Trains the detector (3D U-Net, per-voxel nodule probability) and the characterizer
(conv stem + Transformer: nodule / type / spiculation) on the patches from prepare_data.py.
Deterministic for a seed and step counts (CPU, 2 threads).

  /usr/bin/python3 training/train.py --seed 0 --det-steps 1200 --char-steps 600

--max-minutes only guards the wall clock on a shared machine: when it cuts a phase short the
number of steps actually run is written to runs/train_{detector,characterizer}.json, and re-running with that
step count reproduces the weights.
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from common import DATA, RUNS, seed_everything
from models import Characterizer, Detector, count_params, heatmap_loss

torch.set_num_threads(2)
CROP = 40


def augment(batch, rng):
    """Random flips on each spatial axis and a random x/y transpose (same for image and target)."""
    out = []
    for arrays in batch:
        for ax in (0, 1, 2):
            if rng.random() < 0.5:
                arrays = [np.flip(a, axis=ax) for a in arrays]
        if rng.random() < 0.5:
            arrays = [np.swapaxes(a, 1, 2) for a in arrays]
        out.append([np.ascontiguousarray(a) for a in arrays])
    return out


def train_detector(args, rng, log):
    d = args.data
    patches = np.load(os.path.join(d, 'patches.npy'), mmap_mode='r')
    targets = np.load(os.path.join(d, 'targets.npy'), mmap_mode='r')
    has = np.array([t.any() for t in targets])
    pos, neg = np.flatnonzero(has), np.flatnonzero(~has)
    log(f'detector: {len(pos)} positive / {len(neg)} negative patches')
    net = Detector()
    opt = torch.optim.AdamW(net.parameters(), lr=args.det_lr, weight_decay=1e-4)
    t0 = time.time()
    ema = None
    step = 0
    for step in range(1, args.det_steps + 1):
        lr = args.det_lr * 0.5 * (1 + math.cos(math.pi * (step - 1) / args.det_steps))
        for g in opt.param_groups:
            g['lr'] = lr
        idx = list(rng.choice(pos, args.det_batch // 2)) + list(rng.choice(neg, args.det_batch - args.det_batch // 2))
        batch = []
        for i in idx:
            t = targets[i]
            # Crop 48^3 out of 64^3, keeping the nodule (if any) inside the crop where possible.
            if t.any():
                zz, yy, xx = np.nonzero(t)
                c = np.array([zz.mean(), yy.mean(), xx.mean()])
                lo = np.clip(np.round(c - CROP / 2 + rng.integers(-10, 11, 3)), 0, 64 - CROP).astype(int)
            else:
                lo = rng.integers(0, 64 - CROP + 1, 3)
            sl = tuple(slice(l, l + CROP) for l in lo)
            batch.append([np.asarray(patches[i][sl], dtype=np.float32), np.asarray(t[sl], dtype=np.float32)])
        batch = augment(batch, rng)
        x = torch.from_numpy(np.stack([b[0] for b in batch]))[:, None]
        y = torch.from_numpy(np.stack([b[1] for b in batch]))[:, None]
        net.train()
        loss, bce, dice = heatmap_loss(net.logits(x), y, torch.tensor(args.pos_weight))
        opt.zero_grad()
        loss.backward()
        opt.step()
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        if step % 25 == 0:
            log(f'det step {step}/{args.det_steps} loss {ema:.4f} bce {bce.item():.4f} dice {dice.item():.4f} lr {lr:.5f} {time.time() - t0:.0f}s')
        if time.time() - t0 > args.max_minutes_det * 60:
            log(f'detector: wall-clock guard reached at step {step}')
            break
    torch.save(net.state_dict(), os.path.join(args.runs, 'detector.pt'))
    return {'steps': step, 'final_loss_ema': round(ema, 4), 'seconds': round(time.time() - t0), 'params': count_params(net)}


def train_characterizer(args, rng, log):
    d = args.data
    cubes = np.load(os.path.join(d, 'cubes.npy'))
    labels = np.load(os.path.join(d, 'labels.npy'))
    pos, neg = np.flatnonzero(labels[:, 0] == 1), np.flatnonzero(labels[:, 0] == 0)
    log(f'characterizer: {len(pos)} nodule / {len(neg)} non-nodule cubes')
    # Class weights for the type head: part-solid and ground-glass are rarer.
    counts = np.bincount(labels[pos, 1], minlength=3).astype(np.float32)
    type_w = torch.from_numpy(counts.sum() / (3 * np.maximum(counts, 1)))
    net = Characterizer()
    opt = torch.optim.AdamW(net.parameters(), lr=args.char_lr, weight_decay=1e-3)
    t0 = time.time()
    ema = None
    step = 0
    for step in range(1, args.char_steps + 1):
        lr = args.char_lr * min(1.0, step / 50) * 0.5 * (1 + math.cos(math.pi * (step - 1) / args.char_steps))
        for g in opt.param_groups:
            g['lr'] = lr
        idx = list(rng.choice(pos, args.char_batch // 2)) + list(rng.choice(neg, args.char_batch - args.char_batch // 2))
        batch = augment([[cubes[i].astype(np.float32)] for i in idx], rng)
        x = torch.from_numpy(np.stack([b[0] for b in batch]))[:, None]
        lab = torch.from_numpy(labels[idx])
        net.train()
        ln, lt, ls = net.logits(x)
        loss = F.binary_cross_entropy_with_logits(ln[:, 0], lab[:, 0].float())
        is_nod = lab[:, 0] == 1
        if is_nod.any():
            loss = loss + F.cross_entropy(lt[is_nod], lab[is_nod, 1], weight=type_w)
            loss = loss + F.binary_cross_entropy_with_logits(ls[is_nod, 0], lab[is_nod, 2].float(), pos_weight=torch.tensor(2.0))
        opt.zero_grad()
        loss.backward()
        opt.step()
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        if step % 25 == 0:
            log(f'char step {step}/{args.char_steps} loss {ema:.4f} lr {lr:.5f} {time.time() - t0:.0f}s')
        if time.time() - t0 > args.max_minutes_char * 60:
            log(f'characterizer: wall-clock guard reached at step {step}')
            break
    torch.save(net.state_dict(), os.path.join(args.runs, 'characterizer.pt'))
    return {'steps': step, 'final_loss_ema': round(ema, 4), 'seconds': round(time.time() - t0), 'params': count_params(net)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--det-steps', type=int, default=1200)
    ap.add_argument('--det-batch', type=int, default=4)
    ap.add_argument('--det-lr', type=float, default=3e-3)
    ap.add_argument('--pos-weight', type=float, default=3.0)
    ap.add_argument('--char-steps', type=int, default=600)
    ap.add_argument('--char-batch', type=int, default=32)
    ap.add_argument('--char-lr', type=float, default=1e-3)
    ap.add_argument('--max-minutes-det', type=float, default=35)
    ap.add_argument('--max-minutes-char', type=float, default=15)
    ap.add_argument('--only', choices=['det', 'char'], default=None)
    ap.add_argument('--data', default=os.path.join(DATA, 'patches'))
    ap.add_argument('--runs', default=RUNS, help='where weights, log and metrics go')
    args = ap.parse_args()
    seed_everything(args.seed)
    logf = open(os.path.join(args.runs, f'train-{args.only or "all"}.log'), 'a')

    def log(msg):
        line = f'{time.strftime("%H:%M:%S")} {msg}'
        print(line, flush=True)
        logf.write(line + '\n')
        logf.flush()

    log(f'args {vars(args)}')
    # One metrics file per network, so the two phases can run as separate processes.
    if args.only in (None, 'det'):
        m = train_detector(args, np.random.default_rng(args.seed), log)
        json.dump({'args': vars(args), **m}, open(os.path.join(args.runs, 'train_detector.json'), 'w'), indent=2)
        log(f'detector done {json.dumps(m)}')
    if args.only in (None, 'char'):
        torch.manual_seed(args.seed + 1)
        m = train_characterizer(args, np.random.default_rng(args.seed + 1), log)
        json.dump({'args': vars(args), **m}, open(os.path.join(args.runs, 'train_characterizer.json'), 'w'), indent=2)
        log(f'characterizer done {json.dumps(m)}')


if __name__ == '__main__':
    main()
