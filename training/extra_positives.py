"""Extra positive training cubes: the stage-1 miner yields about one cube per found nodule, too few
to train on. This extracts cubes around every inserted nodule (centred within a third of its
radius, like candidates that hit it) with the same sampling as the app's extractCube
(src/core/inference/cubes.ts: trilinear from the native-grid HU volume at 1 mm and 2 mm steps,
voxel 16 on the centre, outside = air, HU clipped to [-1000, 400] and scaled to [0, 1]).
check() compares this sampler with the miner's cubes at the miner's own candidates.

  /usr/bin/python3 training/extra_positives.py --per-nodule 6      # writes runs/extra/<name>.npz
Only used for TRAINING; validation scores the miner's cubes only.
"""
import argparse
import glob
import json
import os
import zlib

import numpy as np

from common import RUNS, TYPE_ORDER
from insert_nodules import load_series

INSERT = os.path.join(RUNS, 'insert')
EXTRA = os.path.join(RUNS, 'extra')
LO, HI = -1000.0, 400.0


def cube(hu, centre_ijk, spacing, step_mm):
    """hu [k,j,i]; centre (i,j,k) continuous native voxel; spacing (dx,dy,dz)."""
    nz, ny, nx = hu.shape
    r = np.arange(32) - 16
    pi = centre_ijk[0] + r * step_mm / spacing[0]
    pj = centre_ijk[1] + r * step_mm / spacing[1]
    pk = centre_ijk[2] + r * step_mm / spacing[2]
    K, J, I = np.meshgrid(pk, pj, pi, indexing='ij')
    outside = (I < 0) | (J < 0) | (K < 0) | (I > nx - 1) | (J > ny - 1) | (K > nz - 1)
    i0 = np.clip(np.floor(I).astype(int), 0, nx - 1)
    j0 = np.clip(np.floor(J).astype(int), 0, ny - 1)
    k0 = np.clip(np.floor(K).astype(int), 0, nz - 1)
    wx, wy, wz = I - i0, J - j0, K - k0
    i1, j1, k1 = np.minimum(i0 + 1, nx - 1), np.minimum(j0 + 1, ny - 1), np.minimum(k0 + 1, nz - 1)
    c00 = hu[k0, j0, i0] + (hu[k0, j0, i1] - hu[k0, j0, i0]) * wx
    c01 = hu[k0, j1, i0] + (hu[k0, j1, i1] - hu[k0, j1, i0]) * wx
    c10 = hu[k1, j0, i0] + (hu[k1, j0, i1] - hu[k1, j0, i0]) * wx
    c11 = hu[k1, j1, i0] + (hu[k1, j1, i1] - hu[k1, j1, i0]) * wx
    c0 = c00 + (c01 - c00) * wy
    c1 = c10 + (c11 - c10) * wy
    v = c0 + (c1 - c0) * wz
    v = np.where(outside, LO, v)
    return ((np.clip(v, LO, HI) - LO) / (HI - LO)).astype(np.float32)


def two_channel(hu, c, spacing):
    return np.stack([cube(hu, c, spacing, 1.0), cube(hu, c, spacing, 2.0)])


def world_to_ijk(w, origin, spacing, zs):
    k = np.interp(w[2], zs, np.arange(len(zs)))
    return np.array([(w[0] - origin[0]) / spacing[0], (w[1] - origin[1]) / spacing[1], k])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--per-nodule', type=int, default=6)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--check', action='store_true', help='compare with the miner cubes and stop')
    ap.add_argument('series', nargs='*', help='only these inserted series (names under runs/insert/); default: all')
    a = ap.parse_args()
    os.makedirs(EXTRA, exist_ok=True)
    for side in sorted(glob.glob(os.path.join(INSERT, 'LIDC-IDRI-*-s*.json'))):
        if side.endswith('.sites.json'):
            continue
        name = os.path.basename(side)[:-5]
        if a.series and name not in a.series:
            continue
        out = os.path.join(EXTRA, name + '.npz')
        if os.path.exists(out) and not a.check:
            continue
        if not os.path.exists(side[:-5] + '.sites.json'):
            print(f'{name}: no site check yet (training/site_check.py); skipped', flush=True)
            continue
        meta = json.load(open(side))
        sites = json.load(open(side[:-5] + '.sites.json'))
        _, _, _, hu, spacing, _, origin, zs = load_series(os.path.join(INSERT, name))
        if a.check:
            mined = os.path.join(RUNS, 'mined', name)
            m = json.load(open(mined + '.json'))
            mc = np.fromfile(mined + '.cubes.f32', dtype='<f4').reshape(-1, 2, 32, 32, 32)
            for q in range(0, len(m['candidates']), max(1, len(m['candidates']) // 5)):
                c = np.array(m['candidates'][q]['voxel'])
                d = np.abs(two_channel(hu, c, spacing) - mc[q])
                print(f'{name} candidate {q}: max abs diff vs miner {d.max():.2e}, mean {d.mean():.2e}')
            return
        rng = np.random.default_rng([a.seed, zlib.crc32(name.encode())])
        cubes, types, spic = [], [], []
        for n in meta['nodules']:
            if not sites[n['id']]:
                continue
            c0 = world_to_ijk(np.array(n['worldLps']), origin, spacing, zs)
            r = n['diameterMm'] / 2
            for _ in range(a.per_nodule):
                off = rng.normal(size=3)
                off = off / np.linalg.norm(off) * rng.uniform(0, r / 3)
                c = c0 + off / np.array(spacing)
                cubes.append(two_channel(hu, c, spacing).astype(np.float16))
                types.append(TYPE_ORDER.index(n['type']))
                spic.append(int(n['spiculated']))
        if not cubes:
            print(f'{name}: no inserted nodule in the lung (a nodule-free series); nothing to add', flush=True)
            continue
        np.savez(out, cubes=np.stack(cubes), types=np.array(types), spic=np.array(spic), study=meta['study'])
        print(f'{name}: {len(cubes)} extra positive cubes', flush=True)


if __name__ == '__main__':
    main()
