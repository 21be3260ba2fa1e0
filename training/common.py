"""Shared helpers for training/*.py: volume I/O, resampling to the network grid, HU scaling,
lung masks, synthetic nodule rendering into real scans, and patch extraction.
Arrays are indexed [z, y, x] = [k, j, i] like the ONNX tensors [N,1,Z,Y,X]."""
import glob
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
RUNS = os.path.join(HERE, 'runs')
DATA = os.path.join(RUNS, 'data')
MODELS = os.path.join(os.path.dirname(HERE), 'models')
SHARED = os.environ.get('PULMOLENS_SHARED_DATA', os.path.join(os.path.dirname(HERE), '..', 'shared', 'data'))
# Stage-1 candidates and cubes of every series (training/mine_candidates.ts). PULMOLENS_MINED names an
# experiment's folder (e.g. another blob quota: mine_candidates.ts --blob-quota) that holds them all,
# the real copies (runs/sharp/, runs/thick/) included; by default those are in runs/<folder>-mined/.
MINED_OVERRIDE = os.environ.get('PULMOLENS_MINED')
MINED = MINED_OVERRIDE or os.path.join(RUNS, 'mined')
# Session 25: PULMOLENS_MINED_ADD names a folder of per-series additions to every mined series (the
# thickness source's delta, mine_thickness_all.sh), appended to its candidates and cubes by
# char_data.load_mined; PULMOLENS_MINED_ADD_QUOTA keeps only the first n of each (thickest first).
MINED_ADD = os.environ.get('PULMOLENS_MINED_ADD')
MINED_ADD_QUOTA = int(os.environ['PULMOLENS_MINED_ADD_QUOTA']) if os.environ.get('PULMOLENS_MINED_ADD_QUOTA') else None


def p_nodule_threshold(explicit=None):
    """The operating threshold for a script that compares the characterizer's p_nodule alone with
    it. Since session 45 the manifest's threshold is on the fused score (p_nodule fused with the
    fusion detector's heat; 0.7927 against 0.911 for p_nodule alone), so reading it there would
    list nodules the app does not: such a script needs the threshold given."""
    if explicit is not None:
        return explicit
    op = json.load(open(os.path.join(MODELS, 'manifest.json')))['operatingPoint']
    if op.get('fusion'):
        raise SystemExit(f"models/manifest.json: the threshold {op['threshold']} is on the fused score ({op['score']}); "
                         'this script scores p_nodule alone: pass --threshold (0.911 was the shipped members\' own, session 42)')
    return op['threshold']


def mined_copy(folder, name):
    """Where the mined candidates of a real copy (folder 'sharp' or 'thick') are."""
    return os.path.join(MINED_OVERRIDE, name) if MINED_OVERRIDE else os.path.join(RUNS, folder + '-mined', name)

SPACING_MM = 1.0
HU_WINDOW = (-1000.0, 400.0)
PATCH = 64
CUBE = 32
TYPE_ORDER = ['solid', 'part-solid', 'ground-glass']


def seed_everything(seed):
    np.random.seed(seed)
    torch.manual_seed(seed)


def normalize(hu):
    lo, hi = HU_WINDOW
    return ((np.clip(hu, lo, hi) - lo) / (hi - lo)).astype(np.float32)


def resample_axis(a, axis, s_in, s_out):
    """Linear resampling along one axis: output sample t lies at t*s_out mm from the first input
    sample (the grid keeps voxel 0 at the same world position)."""
    n = a.shape[axis]
    m = int(math.floor((n - 1) * s_in / s_out + 1e-6)) + 1
    p = np.arange(m, dtype=np.float64) * (s_out / s_in)
    i0 = np.clip(np.floor(p).astype(np.int64), 0, n - 1)
    i1 = np.clip(i0 + 1, 0, n - 1)
    w = (p - i0).astype(np.float32)
    shape = [1] * a.ndim
    shape[axis] = m
    w = w.reshape(shape)
    return np.take(a, i0, axis=axis) * (1 - w) + np.take(a, i1, axis=axis) * w


def resample_to_mm(vol_zyx, spacing_xyz, target=SPACING_MM):
    """Float32 HU volume [z,y,x] at spacing (sx,sy,sz) -> volume at `target` mm isotropic."""
    a = vol_zyx.astype(np.float32)
    a = resample_axis(a, 2, spacing_xyz[0], target)
    a = resample_axis(a, 1, spacing_xyz[1], target)
    a = resample_axis(a, 0, spacing_xyz[2], target)
    return a


def load_synthetic(base):
    """Returns (hu [z,y,x] float32 at 1 mm, origin (x,y,z), nodules with 1 mm voxel centres)."""
    meta = json.load(open(base + '.json'))
    nx, ny, nz = meta['dims']
    hu = np.fromfile(base + '.i16', dtype='<i2').reshape(nz, ny, nx)
    vol = resample_to_mm(hu, meta['spacingMm'])
    origin = meta['originLps']
    for n in meta['nodules']:
        n['vox1mm'] = [(n['centerLps'][a] - origin[a]) / SPACING_MM for a in range(3)]  # x, y, z
    return vol, origin, meta


def lung_mask(vol):
    """Aerated lung (and airways): voxels under -400 HU not connected to the air around the body.
    Outside air is what straight scanlines from the image border reach, grown by a few
    constrained dilations into the remaining concavities; computed per axial slice at 2 mm."""
    air = (vol < -400)[:, ::2, ::2]
    solid = ~air
    reach = (
        (np.cumsum(solid, axis=2) == 0)
        | (np.cumsum(solid[:, :, ::-1], axis=2) == 0)[:, :, ::-1]
        | (np.cumsum(solid, axis=1) == 0)
        | (np.cumsum(solid[:, ::-1, :], axis=1) == 0)[:, ::-1, :]
    )
    air_t = torch.from_numpy(air.astype(np.float32))[:, None]
    outside = torch.from_numpy(reach.astype(np.float32))[:, None]
    for _ in range(30):
        grown = F.max_pool2d(outside, 3, 1, 1) * air_t
        if torch.equal(grown, outside):
            break
        outside = grown
    inside = (air_t - outside)[:, 0].numpy() > 0
    # Undo the 2 mm subsampling.
    full = np.repeat(np.repeat(inside, 2, axis=1), 2, axis=2)[:, : vol.shape[1], : vol.shape[2]]
    pad_y = vol.shape[1] - full.shape[1]
    pad_x = vol.shape[2] - full.shape[2]
    if pad_y or pad_x:
        full = np.pad(full, ((0, 0), (0, pad_y), (0, pad_x)))
    return full


def crop(vol, centre_zyx, size, fill=-1000.0):
    """A cube of `size` voxels whose centre voxel is centre_zyx (size//2 before it); pads with fill."""
    out = np.full((size, size, size), fill, dtype=vol.dtype)
    lo = [int(c) - size // 2 for c in centre_zyx]
    src = [slice(max(0, l), min(s, l + size)) for l, s in zip(lo, vol.shape)]
    dst = [slice(sl.start - l, sl.stop - l) for sl, l in zip(src, lo)]
    if all(sl.stop > sl.start for sl in src):
        out[tuple(dst)] = vol[tuple(src)]
    return out


def sphere_target(size, centres_zyx_radii):
    """Target mask for a patch: 1 inside each nodule's sphere (radius = diameter/2, at least 1.5 mm)."""
    z, y, x = np.meshgrid(np.arange(size), np.arange(size), np.arange(size), indexing='ij')
    t = np.zeros((size, size, size), dtype=np.uint8)
    for (cz, cy, cx), r in centres_zyx_radii:
        r = max(r, 1.5)
        t[(z - cz) ** 2 + (y - cy) ** 2 + (x - cx) ** 2 <= r * r] = 1
    return t


# ---------------------------------------------------------------- synthetic nodules in real scans


def random_unit(rng):
    while True:
        v = rng.uniform(-1, 1, 3)
        n = np.linalg.norm(v)
        if 0.05 < n <= 1:
            return v / n


def sample_nodule(rng):
    """Same distribution as src/core/synth/nodules.ts sampleShape."""
    d = round(math.exp(rng.uniform(math.log(3), math.log(30))), 1)
    t = 'solid' if rng.random() < 0.5 else ('part-solid' if rng.random() < 0.5 else 'ground-glass')
    if t == 'part-solid' and d < 6:
        t = 'solid'
    margin = ['round', 'lobulated', 'spiculated'][rng.integers(0, 3)]
    if margin == 'spiculated' and (d < 6 or t == 'ground-glass'):
        margin = 'lobulated'
    R = d / 2
    lobes = [(np.zeros(3), R)]
    if margin == 'lobulated' or (margin == 'spiculated' and rng.random() < 0.5):
        lobes = [(np.zeros(3), R * 0.82)]
        for _ in range(rng.integers(3, 6)):
            lobes.append((random_unit(rng) * R * rng.uniform(0.3, 0.45), R * rng.uniform(0.5, 0.62)))
    spicules = []
    if margin == 'spiculated':
        for _ in range(rng.integers(7, 15)):
            spicules.append((random_unit(rng), R * rng.uniform(1.4, 2.2) + 2, min(1.4, max(0.5, R * rng.uniform(0.08, 0.14)))))
    return {
        'diameterMm': d,
        'type': t,
        'margin': margin,
        'spiculated': margin == 'spiculated',
        'core': round(d * rng.uniform(0.3, 0.6), 1) if t == 'part-solid' else None,
        'solidHu': rng.uniform(10, 60),
        'ggoHu': rng.uniform(-650, -400) if t == 'ground-glass' else rng.uniform(-600, -450),
        'lobes': lobes,
        'spicules': spicules,
        'tex': (random_unit(rng) * rng.uniform(0.4, 0.9), rng.uniform(0, 2 * math.pi)),
    }


def _alpha(sd, edge):
    return np.clip(0.5 - sd / edge, 0, 1)


def draw_nodule(patch, centre_zyx, nod, rng):
    """Draws a nodule into a float HU patch at 1 mm (partial-volume edges, texture, noise).
    Dense structures already there win (max blend), as in the TypeScript phantom."""
    s = patch.shape[0]
    z, y, x = np.meshgrid(np.arange(s), np.arange(s), np.arange(s), indexing='ij')
    p = np.stack([x - centre_zyx[2], y - centre_zyx[1], z - centre_zyx[0]], axis=-1).astype(np.float32)
    body = np.full(patch.shape, np.inf, dtype=np.float32)
    for off, r in nod['lobes']:
        body = np.minimum(body, np.linalg.norm(p - off.astype(np.float32), axis=-1) - r)
    k, ph = nod['tex']
    tex = np.cos(p @ k.astype(np.float32) + ph)
    noise = rng.normal(0, 12, patch.shape).astype(np.float32)

    def blend(alpha, hu):
        nonlocal patch
        blended = patch + alpha * (hu + alpha * noise - patch)
        patch = np.maximum(patch, blended)

    if nod['type'] == 'solid':
        blend(_alpha(body, 0.9), nod['solidHu'] + 15 * tex)
    else:
        blend(_alpha(body, 1.8), nod['ggoHu'] + 60 * tex)
        if nod['core']:
            blend(_alpha(np.linalg.norm(p, axis=-1) - nod['core'] / 2, 0.9), np.float32(nod['solidHu']))
    if nod['spicules']:
        R = nod['diameterMm'] / 2
        sd = np.full(patch.shape, np.inf, dtype=np.float32)
        for d, length, r0 in nod['spicules']:
            a = d * R * 0.5
            ab = d * (length - R * 0.5)
            t = np.clip(((p - a) @ ab) / (ab @ ab), 0, 1)
            dist = np.linalg.norm(p - a - t[..., None] * ab, axis=-1)
            sd = np.minimum(sd, dist - (r0 + t * (0.2 - r0)))
        hu = nod['ggoHu'] if nod['type'] == 'ground-glass' else nod['solidHu'] - 40
        blend(_alpha(sd, 0.7), np.float32(hu))
    return patch


def list_synthetic(folder):
    return sorted(f[:-5] for f in glob.glob(os.path.join(folder, 'seed-*.json')))


def seed_span(names):
    """'seeds 1-4' for LIDC-IDRI-0001-s1 ... -s4 (the inserted series' seed suffixes)."""
    seeds = sorted(int(n.rsplit('-s', 1)[1]) for n in names)
    return f'seeds {seeds[0]}-{seeds[-1]}' if len(seeds) > 1 else f'seed {seeds[0]}'
