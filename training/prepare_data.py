"""Builds the training patches (detector 64^3, characterizer 32^3, all at 1 mm, HU scaled to
[0,1] over the manifest window) from
  (a) synthetic phantoms written by gen_synth.ts (training seeds only), and
  (b) the real LIDC-IDRI-0002 scan with synthetic nodules inserted; its vessels, airways and
      pleura are the hard negatives. LIDC-IDRI-0001 is never read here (validation only).

  /usr/bin/python3 training/prepare_data.py --seed 0
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from common import CUBE, DATA, PATCH, TYPE_ORDER, crop, draw_nodule, list_synthetic, load_synthetic, lung_mask, normalize, sample_nodule, seed_everything, sphere_target
from lidc import excluded_marks, load_lidc

torch.set_num_threads(2)


class Bank:
    def __init__(self):
        self.patches, self.targets, self.cubes, self.labels = [], [], [], []

    def add_patch(self, vol_patch, target):
        self.patches.append(normalize(vol_patch).astype(np.float16))
        self.targets.append(target)

    def add_cube(self, cube, nodule, type_name=None, spiculated=None):
        self.cubes.append(normalize(cube).astype(np.float16))
        t = TYPE_ORDER.index(type_name) if type_name else -1
        self.labels.append((1 if nodule else 0, t, -1 if spiculated is None else int(spiculated)))


def shell(mask, r=2):
    """Voxels within r of the lung mask but outside it: vessel and airway walls, pleura."""
    m = torch.from_numpy(mask[None, None].astype(np.float32))
    d = F.max_pool3d(m, 2 * r + 1, 1, r)[0, 0].numpy() > 0
    return d & ~mask


def far_from(points, c, dist):
    return all(np.linalg.norm(np.array(c) - np.array(p)) > dist for p in points)


def targets_for(nodules_zyx_r, centre):
    lo = np.array(centre) - PATCH // 2
    inside = [((np.array(c) - lo), r) for c, r in nodules_zyx_r if np.all(np.abs(np.array(c) - centre) < PATCH // 2 + r)]
    return sphere_target(PATCH, inside)


def from_synthetic(bank, base, rng):
    vol, origin, meta = load_synthetic(base)
    mask = lung_mask(vol)
    nods = [((n['vox1mm'][2], n['vox1mm'][1], n['vox1mm'][0]), n['diameterMm'] / 2, n) for n in meta['nodules']]
    nz = [(c, r) for c, r, _ in nods]
    for c, r, n in nods:
        ci = np.round(c).astype(int)
        for _ in range(3):
            centre = ci + rng.integers(-12, 13, 3)
            bank.add_patch(crop(vol, centre, PATCH), targets_for(nz, centre))
        for _ in range(2):
            bank.add_cube(crop(vol, ci + rng.integers(-2, 3, 3), CUBE), True, n['type'], n['spiculated'])
    lung_idx = np.argwhere(mask)
    hard_idx = np.argwhere(shell(mask))
    centres = [c for c, _, _ in nods]
    def pick(idx, n):
        out = []
        while len(out) < n:
            c = idx[rng.integers(0, len(idx))]
            if far_from(centres, c, 8 + 20):
                out.append(c)
        return out
    for c in pick(lung_idx, 3) + pick(hard_idx, 3):
        bank.add_patch(crop(vol, c, PATCH), targets_for(nz, c))
    for c in pick(hard_idx, 12) + pick(lung_idx, 4):
        bank.add_cube(crop(vol, c, CUBE), False)
    return len(nods)


def place_in_real(vol, mask, lung_idx, nod, rng, location):
    """A centre in the real lung satisfying the location class, judged from the local HU/mask."""
    R = nod['diameterMm'] / 2
    s = int(2 * math.ceil(R * 1.6) + 3)
    g = np.arange(s) - s // 2
    zz, yy, xx = np.meshgrid(g, g, g, indexing='ij')
    dist = np.sqrt(zz ** 2 + yy ** 2 + xx ** 2)
    for _ in range(400):
        c = lung_idx[rng.integers(0, len(lung_idx))]
        m = crop(mask.astype(np.float32), c, s, fill=0) > 0
        h = crop(vol, c, s)
        inner = dist <= R
        if location == 'free':
            ok = m[dist <= R + 2].all() and (h[dist <= R + 2] > -500).mean() < 0.03
        elif location == 'juxtavascular':
            ok = m[dist <= R * 0.6].all() and (h[inner] > -500).mean() < 0.15 and (h[(dist > R) & (dist <= R + 2.5)] > -300).mean() > 0.04
        else:
            ok = m[dist <= R * 0.6].all() and (~m[dist <= R * 1.3]).mean() > 0.12 and (h[dist <= R * 1.3] > -300).mean() > 0.1
        if ok:
            return c
    return None


def from_lidc(bank, rng, n_pos, n_neg):
    vol, origin, uid = load_lidc('0002')
    mask = lung_mask(vol)
    excluded = [((z - origin[2]), (y - origin[1]), (x - origin[0])) for x, y, z in excluded_marks(uid)]
    lung_idx = np.argwhere(mask)
    hard_idx = np.argwhere(shell(mask))
    placed = 0
    locations = ['free', 'juxtavascular', 'juxtapleural']
    while placed < n_pos:
        nod = sample_nodule(rng)
        loc = locations[placed % 3]
        c = place_in_real(vol, mask, lung_idx, nod, rng, loc)
        if c is None:
            continue
        R = nod['diameterMm'] / 2
        # Draw once into a 96^3 working cube, then cut the detector patch and characterizer cube.
        work = crop(vol, c, 96)
        work = draw_nodule(work, (48, 48, 48), nod, rng)
        off = rng.integers(-12, 13, 3)
        pc = np.array([48, 48, 48]) + off
        patch = crop(work, pc, PATCH)
        bank.add_patch(patch, sphere_target(PATCH, [((np.array([48, 48, 48]) - pc + PATCH // 2), R)]))
        for _ in range(2):
            bank.add_cube(crop(work, np.array([48, 48, 48]) + rng.integers(-2, 3, 3), CUBE), True, nod['type'], nod['spiculated'])
        placed += 1
    neg = 0
    while neg < n_neg:
        idx = hard_idx if neg % 2 == 0 else lung_idx
        c = idx[rng.integers(0, len(idx))]
        if not far_from(excluded, c, 15):
            continue
        bank.add_patch(crop(vol, c, PATCH), np.zeros((PATCH,) * 3, np.uint8))
        neg += 1
    for _ in range(n_neg * 2):
        c = hard_idx[rng.integers(0, len(hard_idx))]
        if far_from(excluded, c, 15):
            bank.add_cube(crop(vol, c, CUBE), False)
    return placed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--lidc-pos', type=int, default=200)
    ap.add_argument('--lidc-neg', type=int, default=200)
    ap.add_argument('--out', default=os.path.join(DATA, 'patches'))
    ap.add_argument('--max-synth', type=int, default=10**6, help='use only the first N synthetic volumes (smoke tests)')
    a = ap.parse_args()
    seed_everything(a.seed)
    rng = np.random.default_rng(a.seed)
    bank = Bank()
    t0 = time.time()
    stats = {'synthetic_volumes': 0, 'synthetic_nodules': 0}
    for base in list_synthetic(os.path.join(DATA, 'synth'))[: a.max_synth]:
        stats['synthetic_nodules'] += from_synthetic(bank, base, rng)
        stats['synthetic_volumes'] += 1
        print(f'{os.path.basename(base)}: {len(bank.patches)} patches, {len(bank.cubes)} cubes, {time.time() - t0:.0f}s', flush=True)
    stats['lidc0002_inserted_nodules'] = from_lidc(bank, rng, a.lidc_pos, a.lidc_neg)
    stats['lidc0002_negative_patches'] = a.lidc_neg
    print(f'LIDC-IDRI-0002: {len(bank.patches)} patches, {len(bank.cubes)} cubes, {time.time() - t0:.0f}s', flush=True)
    os.makedirs(a.out, exist_ok=True)
    np.save(os.path.join(a.out, 'patches.npy'), np.stack(bank.patches))
    np.save(os.path.join(a.out, 'targets.npy'), np.stack(bank.targets))
    np.save(os.path.join(a.out, 'cubes.npy'), np.stack(bank.cubes))
    np.save(os.path.join(a.out, 'labels.npy'), np.array(bank.labels, dtype=np.int64))
    lab = np.array(bank.labels)
    stats.update({
        'patches': len(bank.patches),
        'patches_with_nodule': int(sum(t.any() for t in bank.targets)),
        'cubes': len(bank.cubes),
        'cubes_nodule': int((lab[:, 0] == 1).sum()),
        'seconds': round(time.time() - t0),
    })
    json.dump(stats, open(os.path.join(a.out, 'stats.json'), 'w'), indent=2)
    print(json.dumps(stats))


if __name__ == '__main__':
    main()
