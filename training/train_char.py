"""Trains the characterizer v2 (2-channel 32^3 cubes: 1 mm + 2 mm context; conv stem + Transformer)
for false-positive reduction on the candidate miner's cubes of real scans with inserted nodules.

  /usr/bin/python3 training/train_char.py --name cv-0001 --train LIDC-IDRI-0001 --val LIDC-IDRI-0002 \
      --steps 3000 --max-minutes 40

--train / --val name backgrounds (LIDC-IDRI-0001, LIDC-IDRI-0002): every mined series whose
background is listed is used (inserted series and the original scan). Balanced batches (half
positives), heavy augmentation (90-degree in-plane rotations, flips, scale +-15 %, shifts, HU
offset and noise), hard-negative mining rounds (every --hnm-every steps all training negatives are
scored and half of the negative draws come from the highest-scored 15 %), cosine learning rate.
Checkpoints every 100 steps to runs/char/<name>/ckpt.pt; re-running the same command resumes.
Writes runs/char/<name>/{model.pt, curve.jsonl, train.json, val_scores.json}.
"""
import argparse
import copy
import fcntl
import glob
import json
import math
import os
import re
import time

import numpy as np
import torch
import torch.nn.functional as F

from char_data import CUBE_SHAPE, SPLIT_GUARD_MM, Series, half_edges, keep_off_slab, real_copies, slab_edges
from common import HU_WINDOW, MINED, RUNS, seed_everything
from models import Characterizer, RayCharacterizer, count_params

# One thread: on the shared 2-core machine (load ~20) two OpenMP threads spin-wait and run
# 5x slower than one (measured: 13 s vs 2.7 s per batch of 32).
torch.set_num_threads(1)
INSERT = os.path.join(RUNS, 'insert')
EXTRA = os.path.join(RUNS, 'extra')


def load_backgrounds(names, keep=lambda name: True, sharp=True, max_negatives=None, cubes=True, low_dose=False):
    """Every mined series of the given backgrounds: inserted series (with their sidecars) and the
    original scans (no insertions: negatives only). keep(name) chooses before the cubes are read;
    sharp=False leaves out the sharp-kernel copies (insert_nodules.py --sharpen); low_dose=False the
    lower-dose ones (--noise-gain; session 20), so recipes from before them read what they read; max_negatives
    subsamples each series' negatives as it is read (Series.subsample_negatives); cubes=False reads
    labels only (for scorers that re-read the float32 cubes)."""
    out = []
    for prefix in sorted(glob.glob(os.path.join(MINED, '*.json'))):
        prefix = prefix[:-5]
        name = os.path.basename(prefix)
        if not keep(name):
            continue
        sidecar = os.path.join(INSERT, name + '.json')
        if os.path.exists(sidecar):
            meta = json.load(open(sidecar))
            if meta['study'] in names and (sharp or not meta.get('sharpenedBy')) and (low_dose or meta.get('noiseGain', 1) <= 1):
                out.append(Series(name, prefix, sidecar, cubes=cubes).subsample_negatives(max_negatives))
        elif name in names:
            out.append(Series(name, prefix, cubes=cubes).subsample_negatives(max_negatives))
    return out


def stack_releasing(series, more=()):
    """The cubes of every series, then the arrays of `more`, in one float16 array filled in place;
    each series' own copy is released once copied (s.cubes = None). np.concatenate held the series'
    copies, the joined array and the extra positives at once (~12 GB per trainer at the 600/400
    quota), so two trainers could not run side by side on 24 GB."""
    n = sum(len(s.cubes) for s in series) + sum(len(m) for m in more)
    out = np.empty((n,) + CUBE_SHAPE, np.float16)
    i = 0
    for s in series:
        out[i:i + len(s.cubes)] = s.cubes
        i += len(s.cubes)
        s.cubes = None
    for m in more:
        out[i:i + len(m)] = m
        i += len(m)
    return out


def augment(x, rng, scale=0.15, shift_mm=2.0, hu_offset=0.02, noise=0.012):
    """x: [B,2,32,32,32] in [0,1]. Same geometric transform on both channels (in mm)."""
    b = x.shape[0]
    k = int(rng.integers(0, 4))
    x = torch.rot90(x, k, dims=(3, 4))
    for ax in (2, 3, 4):
        if rng.random() < 0.5:
            x = torch.flip(x, dims=(ax,))
    # Scale and sub-voxel shift (trilinear resampling, the costly part) on 60 % of the cubes.
    sel = torch.from_numpy(np.flatnonzero(rng.random(b) < 0.6))
    if len(sel):
        m = len(sel)
        s = torch.from_numpy(rng.uniform(1 - scale, 1 + scale, m).astype(np.float32))
        t_mm = torch.from_numpy(rng.uniform(-shift_mm, shift_mm, (m, 3)).astype(np.float32))
        outs = []
        for ch, half_mm in ((0, 16.0), (1, 32.0)):
            theta = torch.zeros(m, 3, 4)
            theta[:, 0, 0] = theta[:, 1, 1] = theta[:, 2, 2] = 1 / s
            theta[:, :, 3] = t_mm / half_mm
            grid = F.affine_grid(theta, (m, 1, 32, 32, 32), align_corners=False)
            outs.append(F.grid_sample(x[sel, ch:ch + 1], grid, mode='bilinear', padding_mode='border', align_corners=False))
        x = x.clone()
        x[sel] = torch.cat(outs, 1)
    off = torch.from_numpy(rng.uniform(-hu_offset, hu_offset, (b, 1, 1, 1, 1)).astype(np.float32))
    sd = torch.from_numpy(rng.uniform(0, noise, (b, 1, 1, 1, 1)).astype(np.float32))
    x = x + off * (x > 0.01) + sd * torch.randn_like(x)
    return x.clamp(0, 1)


def symmetry_perms(u):
    """Token permutations for the cube's in-plane 90-degree rotations and axis flips (32 of them):
    rotating the cube by T moves the ray in direction T^-1 u to u (u: the net's ray directions)."""
    u = u.numpy()
    perms = []
    for k in range(4):
        c, s_ = [(1, 0), (0, 1), (-1, 0), (0, -1)][k]
        rot = np.array([[c, -s_, 0], [s_, c, 0], [0, 0, 1]], dtype=np.float32)
        for fx in (1, -1):
            for fy in (1, -1):
                for fz in (1, -1):
                    t = rot @ np.diag([fx, fy, fz]).astype(np.float32)
                    src = u @ np.linalg.inv(t).T
                    perms.append([int(np.argmin(np.linalg.norm(u - v, axis=1))) for v in src])
    return torch.tensor(perms)


# Where "dense" starts for --dense-gain: -100 HU on the [-1000, 400] HU window.
DENSE_FROM = (-100.0 - HU_WINDOW[0]) / (HU_WINDOW[1] - HU_WINDOW[0])


def dense_gain(x, g):
    """Scales what lies above DENSE_FROM by g (per cube): contrast-enhanced vessels (+200..+300 HU)
    come down towards soft tissue, unenhanced ones go up, so the absolute HU of dense tissue stops
    telling a vessel from a nodule (a model trained on the contrast-enhanced LIDC-IDRI-0001 took
    the unenhanced vessels of LIDC-IDRI-0002 for nodules)."""
    return torch.where(x > DENSE_FROM, DENSE_FROM + (x - DENSE_FROM) * g, x)


def augment_rays(prof, centre, perms, rng, scale=0.15, hu_offset=0.02, noise=0.008, gain=0.0):
    """Ray-profile augmentation: random cube symmetry (token permutation, one of symmetry_perms' for
    the net's directions), scale +-15 % along the rays, dense-tissue gain 1 +- gain (--dense-gain),
    HU offset and noise. prof [B, D, 28] (D rays, two channels x 14 radii), centre [B, 1, 2]."""
    nd = prof.shape[1]
    b = prof.shape[0]
    perm = perms[torch.from_numpy(rng.integers(0, len(perms), b))]
    prof = torch.gather(prof, 1, perm[:, :, None].expand(-1, -1, prof.shape[2]))
    r = RayCharacterizer.RADII
    s = torch.from_numpy(rng.uniform(1 - scale, 1 + scale, (b, 1, 1)).astype(np.float32))
    q = (torch.arange(1, r + 1, dtype=torch.float32)[None, None] / s).clamp(0, r)
    q0 = q.floor().long().clamp(max=r - 1)
    w = q - q0
    out = []
    for ch in range(2):
        full = torch.cat([centre[:, :, ch:ch + 1].expand(-1, nd, 1), prof[:, :, ch * r:(ch + 1) * r]], 2)  # r=0..R
        a = torch.gather(full, 2, q0.expand(-1, nd, -1))
        bb = torch.gather(full, 2, (q0 + 1).clamp(max=r).expand(-1, nd, -1))
        out.append(a + (bb - a) * w)
    prof = torch.cat(out, 2)
    if gain > 0:
        g = torch.from_numpy(rng.uniform(1 - gain, 1 + gain, (b, 1, 1)).astype(np.float32))
        prof, centre = dense_gain(prof, g), dense_gain(centre, g)
    off = torch.from_numpy(rng.uniform(-hu_offset, hu_offset, (b, 1, 1)).astype(np.float32))
    sd = torch.from_numpy(rng.uniform(0, noise, (b, 1, 1)).astype(np.float32))
    prof = (prof + off * (prof > 0.01) + sd * torch.randn_like(prof)).clamp(0, 1)
    centre = (centre + off * (centre > 0.01) + sd * torch.randn_like(centre)).clamp(0, 1)
    return prof, centre


@torch.no_grad()
def rays_of(net, cubes, batch=256, at=None):
    ps, cs = [], []
    for i in range(0, len(cubes), batch):
        x = torch.from_numpy(cubes[i:i + batch].astype(np.float32))
        p, c = net.rays(x) if at is None else rays_at(net, x, at)
        ps.append(p)
        cs.append(c)
    return torch.cat(ps), torch.cat(cs)


def make_net(arch, ray_shell=1):
    return RayCharacterizer(shell=ray_shell) if arch == 'ray' else Characterizer(in_ch=2)


# (rot90 in-plane k, flip X, flip Z): the 16 symmetries of a cube with an axial plane
TTA_ORDER = [(0, 0, 0), (2, 1, 1), (1, 0, 1), (3, 1, 0), (0, 0, 1), (2, 1, 0), (1, 0, 0), (3, 1, 1),
             (0, 1, 0), (2, 0, 1), (1, 1, 1), (3, 0, 0), (0, 1, 1), (2, 0, 0), (1, 1, 0), (3, 0, 1)]


_CENTRED_FLIP = torch.tensor([(32 - i) % 32 for i in range(32)])


def _flip(x, dim):
    """Mirror about voxel 16 (the candidate), not about 15.5 as torch.flip does."""
    return x.index_select(dim, _CENTRED_FLIP)


def symmetry(x, t):
    k, fx, fz = t
    for _ in range(k):  # rot90 in-plane about voxel 16: transpose Y/X, then mirror the new Y
        x = _flip(x.transpose(3, 4), 3)
    if fx:
        x = _flip(x, 4)
    if fz:
        x = _flip(x, 2)
    return x


def shift_offsets(d):
    return [(0.0, 0.0, 0.0)] + [tuple(float(s * d) if a == b else 0.0 for b in range(3)) for a in range(3) for s in (1, -1)]


_RAYS_AT = {}


def rays_at(net, x, off):
    """The ray stem sampled about the cube centre moved by off (mm, x/y/z): 1 mm voxels in channel 0,
    2 mm in channel 1."""
    key = (id(net), off)
    if key not in _RAYS_AT:
        u = net.dirs
        r = torch.arange(1, net.RADII + 1, dtype=torch.float32)
        gi, gw = [], []
        for ch, vox in ((0, 1.0), (1, 2.0)):
            c = 16 + torch.tensor(off, dtype=torch.float32) / vox
            p = torch.cat([c[None, None, :].expand(26, 1, 3), c + u[:, None, :] * r[None, :, None]], 1)  # [26, R+1, 3]
            p0 = torch.floor(p); f = p - p0
            idx, w = [], []
            for dz in (0, 1):
                for dy in (0, 1):
                    for dx in (0, 1):
                        q = (p0 + torch.tensor([dx, dy, dz], dtype=torch.float32)).long().clamp(0, 31)
                        idx.append(q[..., 2] * 1024 + q[..., 1] * 32 + q[..., 0] + ch * 32768)
                        w.append((f[..., 0] if dx else 1 - f[..., 0]) * (f[..., 1] if dy else 1 - f[..., 1]) * (f[..., 2] if dz else 1 - f[..., 2]))
            gi.append(torch.stack(idx, -1)); gw.append(torch.stack(w, -1))
        _RAYS_AT[key] = (torch.cat(gi, 1), torch.cat(gw, 1))  # [26, 2(R+1), 8]
    gi, gw = _RAYS_AT[key]
    n = x.shape[0]
    R = net.RADII
    v = (x.reshape(n, -1)[:, gi.reshape(-1)].reshape(n, 26, 2 * (R + 1), 8) * gw).sum(-1)
    prof = torch.cat([v[:, :, 1:R + 1], v[:, :, R + 2:]], 2)
    centre = torch.stack([v[:, 0, 0], v[:, 0, R + 1]], 1).reshape(n, 1, 2)
    return prof, centre


def view_logits(net, x, view):
    """p_nodule logits of cubes x seen one way (session 17's scoring experiments, split_cv.py --view):
    'tta:N' the mean over the first N cube symmetries about the candidate voxel (TTA_ORDER),
    'shift-max:D' / 'shift-mean:D' the max or mean over the candidate and the six points D mm from it
    along the axes (ray arch only)."""
    kind, arg = view.split(':')
    if kind == 'tta':
        return torch.stack([net.logits(symmetry(x, t))[0][:, 0] for t in TTA_ORDER[:int(arg)]]).mean(0)
    if kind in ('shift-max', 'shift-mean'):
        st = torch.stack([net.logits_from_rays(*rays_at(net, x, o))[0][:, 0] for o in shift_offsets(float(arg))])
        return st.max(0).values if kind == 'shift-max' else st.mean(0)
    raise ValueError(f'unknown view {view!r}')


@torch.no_grad()
def score(net, cubes, batch=128, logits=False, view=None):
    """p_nodule of every cube, or its logit (no float saturation: cv_report.py calibrates on it);
    view: see view_logits (logits only)."""
    if view and not logits:
        raise ValueError('a view scores logits')
    net.eval()
    out = []
    for i in range(0, len(cubes), batch):
        x = torch.from_numpy(cubes[i:i + batch].astype(np.float32))
        if view:
            out.append(view_logits(net, x, view).numpy())
            continue
        p = net.logits(x)[0] if logits else net(x)[0]
        out.append(p[:, 0].numpy())
    return np.concatenate(out) if out else np.zeros(0)


def froc(series, scores, rates=(0.125, 0.25, 0.5, 1, 2, 4, 8)):
    """Per-nodule FROC over series (each counts as one scan): nodule score = best hitting
    candidate; FP = negative candidate (ignored ones count neither way)."""
    nod_scores, fps = [], []
    for s, sc in zip(series, scores):
        best = np.full(len(s.inserted), -1.0)
        for q in np.flatnonzero(s.labels == 1):
            best[s.hit[q]] = max(best[s.hit[q]], sc[q])
        nod_scores.append(best)
        fps.append(sc[s.labels == 0])
    nod = np.concatenate(nod_scores) if nod_scores else np.zeros(0)
    fp = np.sort(np.concatenate(fps))[::-1] if fps else np.zeros(0)
    n_scans = len(series)
    sens = {}
    for r in rates:
        allowed = int(math.floor(r * n_scans + 1e-9))
        # Threshold just above the (allowed+1)-th highest FP score.
        thr = fp[allowed] if allowed < len(fp) else -0.5
        sens[f'{r:g}'] = float((nod > thr).mean()) if len(nod) else 0.0
    return {'sensitivity': sens, 'cpm': float(np.mean(list(sens.values()))), 'nodules': int(len(nod)), 'scans': n_scans,
            'found': float((nod >= 0).mean()) if len(nod) else 0.0}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--name', required=True)
    ap.add_argument('--train', nargs='+', required=True)
    ap.add_argument('--val', nargs='*', default=[])
    ap.add_argument('--steps', type=int, default=3000)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--hnm-every', type=int, default=300)
    ap.add_argument('--eval-every', type=int, default=100)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--max-minutes', type=float, default=60)
    ap.add_argument('--val-seeds', default='',
                    help="e.g. 5-24: validate only on the --val insertions with these seeds at the scan's own slices "
                         '(keeps calibration and test seeds out of the curves)')
    ap.add_argument('--keep-best', action='store_true',
                    help='save the weights of the evaluation with the best validation CPM, not the last step')
    ap.add_argument('--sharp-kernels', action='store_true',
                    help="train on the backgrounds' sharp-kernel copies too (insert_nodules.py --sharpen; session 11, not shipped)")
    ap.add_argument('--low-dose', action='store_true',
                    help="session 20: train on the backgrounds' lower-dose series too (insert_nodules.py --noise-gain) and, with "
                         '--real-negatives, on the real scan\'s lower-dose copies (runs/lowdose/)')
    ap.add_argument('--dense-gain', type=float, default=0.0,
                    help='ray arch: scale the HU above -100 by a random 1 +- this per cube (0: off; see dense_gain)')
    ap.add_argument('--max-negatives', type=int, default=None,
                    help='at most this many negatives per training series (a fixed random draw): for candidates mined with a larger --blob-quota')
    ap.add_argument('--real-negatives', default='',
                    help='STUDY:upper|lower:ZC (session 12): that real scan\'s own candidates and its derived real copies '
                         '(5 mm, sharp kernels) as extra negatives, only on one side of the plane z = ZC (LPS mm, with a '
                         f'{SPLIT_GUARD_MM:g} mm guard band); the other side stays for validation (split_cv.py). '
                         'STUDY:slab:K:B1,B2,... (session 15): all but slab K of the slabs the boundaries B cut (guard bands '
                         'on both sides of it)')
    ap.add_argument('--real-negative-share', type=float, default=0.25,
                    help='share of the random negative draws taken from --real-negatives (hard-negative draws pick from all)')
    ap.add_argument('--arch', choices=['ray', 'cnn'], default='ray',
                    help='ray: fixed ray-casting stem + Transformer (trains in minutes on a starved CPU); cnn: conv stem + Transformer')
    ap.add_argument('--ray-shell', type=int, choices=[1, 2], default=1,
                    help='ray arch: directions to the cube shell of this radius (1: 26 rays, shipped; 2: 98 rays, session 30)')
    ap.add_argument('--shift-mm', type=float, default=0.0,
                    help='ray arch: half the draws see the candidate moved by this much along one axis (session 17)')
    a = ap.parse_args()
    out = os.path.join(RUNS, 'char', a.name)
    os.makedirs(out, exist_ok=True)
    seed_everything(a.seed)
    rng = np.random.default_rng(a.seed)
    # One trainer reads its cubes at a time: loading peaks at about twice the cubes' size (~10 GB
    # at the 600/400 quota), training then holds only the ray profiles (~1 GB), so trainers run side
    # by side once each has loaded (two loading together were killed by the kernel).
    load_lock = open(os.path.join(RUNS, '.train-load.lock'), 'w')
    fcntl.flock(load_lock, fcntl.LOCK_EX)

    train = load_backgrounds(a.train, sharp=a.sharp_kernels, max_negatives=a.max_negatives, low_dose=a.low_dose)
    in_val_seeds = lambda name: True
    if a.val_seeds:
        lo, hi = (int(x) for x in a.val_seeds.split('-'))
        in_val_seeds = lambda name: bool(re.fullmatch(r'LIDC-IDRI-\d{4}-s(\d+)', name)) and lo <= int(name.rsplit('-s', 1)[1]) <= hi
    # Only the validation series are read (all of a background's series outgrow 24 GB beside a second run).
    val = load_backgrounds(a.val, in_val_seeds) if a.val else []
    # Validation scans are the inserted series only (the original scan duplicates their background).
    val = [s for s in val if s.inserted]
    if a.keep_best and not val:
        raise SystemExit('--keep-best needs validation series (--val, --val-seeds)')
    if not train:
        raise SystemExit(f'no mined series for {a.train} under {MINED}')
    n_train = len(train)
    if a.real_negatives:
        study, half, *rest = a.real_negatives.split(':')
        if study in a.train or half not in ('upper', 'lower', 'slab'):
            raise SystemExit(f'--real-negatives {a.real_negatives}: a study not in --train, upper, lower or slab')
        # Nothing inserted in these: only their negatives (labels 0) are drawn.
        zlo, zhi = slab_edges(rest[1])[int(rest[0])] if half == 'slab' else half_edges(half, float(rest[0]))
        train += [keep_off_slab(s, zlo, zhi, SPLIT_GUARD_MM) for s in real_copies(study, thick=True, low_dose=a.low_dose)]
    # Extra positives (extra_positives.py: the app's cube sampling around every inserted nodule).
    extra = [np.load(os.path.join(EXTRA, s.name + '.npz')) for s in train if s.inserted and os.path.exists(os.path.join(EXTRA, s.name + '.npz'))]
    extra_cubes = [e['cubes'] for e in extra]
    n_all = sum(len(s.labels) for s in train)
    cubes = stack_releasing(train, extra_cubes)
    labels = np.concatenate([s.labels for s in train])
    types = np.concatenate([s.type_idx for s in train])
    spic = np.concatenate([s.spic for s in train])
    pos, neg = np.flatnonzero(labels == 1), np.flatnonzero(labels == 0)
    n_base = sum(len(s.labels) for s in train[:n_train])
    neg_real = neg[neg >= n_base]
    pos_extra = np.zeros(0, np.int64)
    if extra:
        labels = np.concatenate([labels] + [np.ones(len(e['types']), labels.dtype) for e in extra])
        types = np.concatenate([types] + [e['types'] for e in extra])
        spic = np.concatenate([spic] + [e['spic'] for e in extra])
        pos_extra = np.arange(n_all, len(cubes))
    del extra, extra_cubes
    counts = {'series': [s.summary() for s in train], 'positiveCubes': int(len(pos)), 'negativeCubes': int(len(neg)),
              'extraPositiveCubes': int(len(pos_extra)),
              'insertedNodules': int(sum(len(s.inserted) for s in train)), 'realNegativeCubes': int(len(neg_real)),
              'valSeries': [s.summary() for s in val]}
    print(json.dumps(counts), flush=True)
    tcounts = np.bincount(types[labels == 1], minlength=3).astype(np.float32)
    type_w = torch.from_numpy(tcounts.sum() / (3 * np.maximum(tcounts, 1)))

    net = make_net(a.arch, a.ray_shell)
    if a.arch == 'ray':
        # The stem is fixed: ray profiles of every cube once, augmentation on the profiles.
        perms = symmetry_perms(net.dirs)
        all_prof, all_centre = rays_of(net, cubes)
        if a.shift_mm > 0:
            # The same profiles about centres moved by +-shift_mm along each axis (augment_shift).
            shifted = [rays_of(net, cubes, at=o) for o in shift_offsets(a.shift_mm)[1:]]
            all_prof = torch.stack([all_prof] + [p for p, _ in shifted], 1)
            all_centre = torch.stack([all_centre] + [c for _, c in shifted], 1)
            del shifted
        # Hard-negative mining scores the candidates where they are.
        prof0, centre0 = (all_prof[:, 0], all_centre[:, 0]) if a.shift_mm > 0 else (all_prof, all_centre)
        # Training reads only the profiles: the cubes (GBs) go.
        del cubes
    load_lock.close()
    opt = torch.optim.AdamW(net.parameters(), lr=a.lr, weight_decay=1e-3)
    step, elapsed, hard, best = 0, 0.0, None, None  # best: {'step', 'cpm', 'state'} with --keep-best
    ckpt = os.path.join(out, 'ckpt.pt')
    curve_path = os.path.join(out, 'curve.jsonl')
    if os.path.exists(ckpt):
        st = torch.load(ckpt, weights_only=False)
        net.load_state_dict(st['net'])
        opt.load_state_dict(st['opt'])
        step, elapsed, hard, best = st['step'], st['elapsed'], st['hard'], st.get('best')
        rng = np.random.default_rng([a.seed, step])
        print(f'resumed at step {step}', flush=True)
    elif os.path.exists(curve_path):
        os.remove(curve_path)
    t0 = time.time() - elapsed
    ema = None
    while step < a.steps:
        if a.hnm_every and step > 0 and step % a.hnm_every == 0 and (hard is None or hard[0] != step):
            if a.arch == 'ray':
                with torch.no_grad():
                    net.eval()
                    s_neg = torch.sigmoid(net.logits_from_rays(prof0[neg], centre0[neg])[0][:, 0]).numpy()
            else:
                s_neg = score(net, cubes[neg])
            top = neg[np.argsort(-s_neg)[: max(1, int(0.15 * len(neg)))]]
            hard = (step, top)
            print(f'step {step}: hard-negative round, top-15% negatives score >= {np.sort(s_neg)[-len(top)]:.3f}', flush=True)
        step += 1
        lr = a.lr * min(1.0, step / 100) * 0.5 * (1 + math.cos(math.pi * (step - 1) / a.steps))
        for g in opt.param_groups:
            g['lr'] = lr
        nb = a.batch // 2
        n_hard = nb // 2 if hard is not None else 0
        n_pos = a.batch - nb
        n_px = n_pos // 2 if len(pos_extra) else 0
        n_real = int(round(a.real_negative_share * (nb - n_hard))) if len(neg_real) else 0
        idx = list(rng.choice(pos, n_pos - n_px)) + list(rng.choice(pos_extra, n_px) if n_px else []) + list(rng.choice(neg, nb - n_hard - n_real))
        if n_real:
            idx += list(rng.choice(neg_real, n_real))
        if n_hard:
            idx += list(rng.choice(hard[1], n_hard))
        idx = np.array(idx)
        y = torch.from_numpy((labels[idx] == 1).astype(np.float32))
        net.train()
        if a.arch == 'ray':
            ti = torch.from_numpy(idx)
            prof, centre = all_prof[ti], all_centre[ti]
            if a.shift_mm > 0:
                # Half the draws see the candidate moved by shift_mm along one axis.
                o = torch.from_numpy(np.where(rng.random(len(ti)) < 0.5, rng.integers(1, all_prof.shape[1], len(ti)), 0))
                prof, centre = prof[torch.arange(len(ti)), o], centre[torch.arange(len(ti)), o]
            ln, lt, ls = net.logits_from_rays(*augment_rays(prof, centre, perms, rng, gain=a.dense_gain))
        else:
            ln, lt, ls = net.logits(augment(torch.from_numpy(cubes[idx].astype(np.float32)), rng))
        loss = F.binary_cross_entropy_with_logits(ln[:, 0], y)
        isn = torch.from_numpy(labels[idx] == 1)
        if isn.any():
            loss = loss + 0.3 * F.cross_entropy(lt[isn], torch.from_numpy(types[idx])[isn], weight=type_w)
            loss = loss + 0.2 * F.binary_cross_entropy_with_logits(ls[isn, 0], torch.from_numpy(spic[idx])[isn].float())
        opt.zero_grad()
        loss.backward()
        opt.step()
        ema = loss.item() if ema is None else 0.95 * ema + 0.05 * loss.item()
        if step % a.eval_every == 0 or step == a.steps:
            rec = {'step': step, 'seconds': round(time.time() - t0), 'lr': lr, 'trainLossEma': round(ema, 4)}
            if val:
                sc = [score(net, s.cubes) for s in val]
                f = froc(val, sc)
                allneg = np.concatenate([x[s.labels == 0] for s, x in zip(val, sc)])
                allpos = np.concatenate([x[s.labels == 1] for s, x in zip(val, sc)])
                eps = 1e-6
                vloss = -(np.log(allpos + eps).sum() + np.log(1 - allneg + eps).sum()) / max(1, len(allpos) + len(allneg))
                rec.update({'valCpm': round(f['cpm'], 4), 'valSens1': f['sensitivity']['1'], 'valLoss': round(float(vloss), 4)})
                if a.keep_best and (best is None or f['cpm'] > best['cpm']):
                    best = {'step': step, 'cpm': f['cpm'], 'state': copy.deepcopy(net.state_dict())}
            open(curve_path, 'a').write(json.dumps(rec) + '\n')
            print(json.dumps(rec), flush=True)
            torch.save({'net': net.state_dict(), 'opt': opt.state_dict(), 'step': step, 'elapsed': time.time() - t0, 'hard': hard,
                        'best': best}, ckpt + '.tmp')
            os.replace(ckpt + '.tmp', ckpt)
        if time.time() - t0 > a.max_minutes * 60:
            print(f'wall-clock guard at step {step}', flush=True)
            break
    if best is not None:
        net.load_state_dict(best['state'])
    torch.save(net.state_dict(), os.path.join(out, 'model.pt'))
    res = {'args': vars(a), 'steps': step, 'seconds': round(time.time() - t0), 'params': count_params(net), 'data': counts}
    if best is not None:
        res['keptStep'] = best['step']
    if val:
        sc = [score(net, s.cubes) for s in val]
        res['val'] = froc(val, sc)
        json.dump({s.name: x.tolist() for s, x in zip(val, sc)}, open(os.path.join(out, 'val_scores.json'), 'w'))
    json.dump(res, open(os.path.join(out, 'train.json'), 'w'), indent=2)
    print(json.dumps(res.get('val', {})), flush=True)


if __name__ == '__main__':
    main()
