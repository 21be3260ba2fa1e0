"""Inserts synthetic nodules into a real CT series on its NATIVE DICOM grid (before the app's own
import and resampling) and writes a new DICOM series plus a sidecar JSON of what was inserted.

  /usr/bin/python3 training/insert_nodules.py --study 0002 --seed 1 --count 24 \
      --out training/runs/insert/LIDC-IDRI-0002-s1

Per nodule (shape distribution of common.sample_nodule, sizes 3-30 mm weighted to 3-10 mm):
- rendered at <= 0.25 mm sub-samples inside each native voxel, i.e. integrated over the voxel's
  footprint (pixel size x slice thickness), so partial volume is that of the real scanner;
- blurred with the scan's own in-plane PSF, measured on this scan at the body/air edge (edge
  spread -> line spread -> FWHM; the pixel footprint's share is removed);
- given the scan's own noise texture: the noise power spectrum measured in homogeneous soft-tissue
  patches of this scan shapes white noise, which replaces the background noise inside the nodule
  in proportion to its occupancy (so the total noise variance is unchanged);
- placed where real nodules sit, chosen from this scan's own HU: attached to a vessel (centre
  beside a vessel voxel), juxtapleural (touching the chest wall), or free in the parenchyma.
Sites keep away from LUNA16's annotated nodules and excluded marks (real nodules and lesions) and
from each other. Outputs: <out>/NNNN.dcm (same headers, new SeriesInstanceUID and
SOPInstanceUIDs, modified PixelData) and <out>.json.
"""
import argparse
import glob
import json
import math
import os

import numpy as np
import pydicom
import torch
import torch.nn.functional as F
from pydicom.uid import generate_uid

from common import SHARED, random_unit, sample_nodule

torch.set_num_threads(2)
SUB_MM = 0.25
LUNA_UID_FILES = ('luna16-annotations.csv', 'luna16-annotations-excluded.csv')


def series_dir(study):
    root = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), '.cache', f'LIDC-IDRI-{study}')
    hits = glob.glob(os.path.join(root, '**', 'series'), recursive=True)
    if not hits:
        raise SystemExit(f'LIDC-IDRI-{study} not extracted under {root} (see tests/support/shared-data.ts)')
    return hits[0]


def load_series(folder):
    files = sorted(glob.glob(os.path.join(folder, '*.dcm')))
    ds = [pydicom.dcmread(f) for f in files]
    order = np.argsort([float(d.ImagePositionPatient[2]) for d in ds])
    ds = [ds[i] for i in order]
    files = [files[i] for i in order]
    for d in ds:
        if [round(float(v), 4) for v in d.ImageOrientationPatient] != [1, 0, 0, 0, 1, 0]:
            raise SystemExit(f'{folder}: non-axial orientation')
    raw = np.stack([d.pixel_array for d in ds]).astype(np.int32)
    slope, icpt = float(ds[0].RescaleSlope), float(ds[0].RescaleIntercept)
    hu = (raw * slope + icpt).astype(np.float32)
    dy, dx = (float(v) for v in ds[0].PixelSpacing)
    zs = np.array([float(d.ImagePositionPatient[2]) for d in ds])
    dz = float(np.median(np.diff(zs)))
    thick = float(ds[0].SliceThickness)
    origin = [float(v) for v in ds[0].ImagePositionPatient]
    return files, ds, raw, hu, (dx, dy, dz), thick, origin, zs


def thicken(files, ds, hu, dz, thick, zs, k):
    """The same patient as a thick-slice protocol: every k adjacent slices averaged into one slice
    k x as thick (contiguous slices: the sum of their sensitivity profiles), centred at their mean
    position. Vessels crossing a thick slice then look like blobs, the way they do on 2.5-5 mm
    scans. Returns load_series' tuple on the new grid (raw in the original stored units)."""
    n = len(zs) // k
    slope, icpt = float(ds[0].RescaleSlope), float(ds[0].RescaleIntercept)
    hu_t = hu[:n * k].reshape(n, k, *hu.shape[1:]).mean(axis=1)
    zs_t = zs[:n * k].reshape(n, k).mean(axis=1)
    raw_t = np.round((hu_t - icpt) / slope).astype(np.int32)
    hu_t = (raw_t * slope + icpt).astype(np.float32)
    ds_t = [ds[i * k] for i in range(n)]
    files_t = [files[i * k] for i in range(n)]
    origin = [float(v) for v in ds_t[0].ImagePositionPatient[:2]] + [float(zs_t[0])]
    return files_t, ds_t, raw_t, hu_t, dz * k, thick * k, origin, zs_t


def sharpen(ds, hu, amount, sigma_px=1.0):
    """The same acquisition as if reconstructed with a sharper (lung / bone) kernel: an in-plane
    unsharp mask, hu + amount * (hu - G_sigma * hu), which lifts the mid frequencies the way a
    sharp kernel's MTF does, with its edge overshoot and amplified noise texture. Returns (raw, hu)
    on the same grid (raw in the original stored units)."""
    slope, icpt = float(ds[0].RescaleSlope), float(ds[0].RescaleIntercept)
    hu_s = hu + amount * (hu - gaussian_blur(hu, (0.0, sigma_px, sigma_px)))
    raw_s = np.round((hu_s - icpt) / slope).astype(np.int32)
    signed = int(ds[0].PixelRepresentation) == 1
    raw_s = np.clip(raw_s, *((-32768, 32767) if signed else (0, 65535)))
    return raw_s, (raw_s * slope + icpt).astype(np.float32)


def lower_dose(ds, hu, hu_plain, gain, rng):
    """The same acquisition at a lower dose: noise with the scan's own texture (measure_noise's
    kernel, independent between slices) added so that the soft-tissue noise is gain x what it was.
    Image-domain only: no photon-starvation streaks. Returns (raw, hu) on the same grid."""
    info, kernel = measure_noise(hu, hu_plain)
    extra = synth_noise(hu.shape, kernel * math.sqrt(gain ** 2 - 1), rng)
    slope, icpt = float(ds[0].RescaleSlope), float(ds[0].RescaleIntercept)
    raw_n = np.round((hu + extra - icpt) / slope).astype(np.int32)
    signed = int(ds[0].PixelRepresentation) == 1
    raw_n = np.clip(raw_n, *((-32768, 32767) if signed else (0, 65535)))
    print(f'lower dose: soft-tissue noise {info["stdHu"]} HU x {gain}', flush=True)
    return raw_n, (raw_n * slope + icpt).astype(np.float32)


# ------------------------------------------------------------------------------- scan measurements


def measure_psf(hu, spacing):
    """In-plane PSF sigma (mm) from the body/air edge: edge profiles along x at the left and right
    body boundary of the middle slices, aligned at their -500 HU crossing, oversampled to 0.1 px,
    differentiated (line spread) and read at half maximum. The pixel footprint (box of one pixel,
    variance px^2/12) is part of what was measured and is removed, because the renderer integrates
    over the footprint itself."""
    nz, ny, nx = hu.shape
    xs, vs = [], []
    for k in range(nz // 4, 3 * nz // 4, max(1, nz // 40)):
        for j in range(ny // 3, 2 * ny // 3, 8):
            row = hu[k, j]
            for direction in (1, -1):
                r = row if direction == 1 else row[::-1]
                above = np.flatnonzero(r > -500)
                if len(above) == 0 or above[0] < 12 or above[0] > nx - 12:
                    continue
                e = above[0]
                seg = r[e - 10:e + 10]
                if seg[:5].max() > -900 or seg[-6:].min() < -300:
                    continue  # not a clean air -> tissue edge (table, clothes, lung just under the skin)
                lo, hi = seg[:5].mean(), seg[-6:].mean()
                f = (seg - lo) / (hi - lo)
                i = np.flatnonzero(f >= 0.5)[0]
                x0 = i - 1 + (0.5 - f[i - 1]) / (f[i] - f[i - 1])
                xs.append(np.arange(20) - x0)
                vs.append(f)
    if len(xs) < 50:
        raise SystemExit(f'PSF: only {len(xs)} clean edge profiles')
    x = np.concatenate(xs)
    v = np.concatenate(vs)
    bins = np.arange(-8, 8.01, 0.1)
    idx = np.digitize(x, bins)
    esf = np.array([np.median(v[idx == b]) if np.any(idx == b) else np.nan for b in range(1, len(bins))])
    centres = (bins[:-1] + bins[1:]) / 2
    ok = ~np.isnan(esf)
    esf = np.interp(centres, centres[ok], esf[ok])
    k = np.ones(5) / 5
    esf_s = np.convolve(esf, k, mode='same')
    lsf = np.gradient(esf_s, centres)
    m = lsf.argmax()
    half = lsf[m] / 2
    left = m - np.flatnonzero(lsf[:m][::-1] < half)[0]
    right = m + np.flatnonzero(lsf[m:] < half)[0]
    fwhm_px = (right - left) * 0.1
    sigma_px = fwhm_px / 2.3548
    sigma_psf_px = math.sqrt(max(0.05, sigma_px ** 2 - 1 / 12))
    return {'edgeProfiles': len(xs), 'lsfFwhmMm': round(fwhm_px * spacing[0], 3),
            'sigmaMm': round(sigma_psf_px * spacing[0], 3)}


def measure_noise(hu, select=None):
    """Noise power spectrum of this scan from 32x32 soft-tissue patches (all pixels in
    [-150, 150] HU, the most homogeneous third after removing a plane), as a 2D shaping kernel
    whose filtered unit white noise has the measured standard deviation. `select`: the HU that
    choose the patches (a sharpened scan's noise overshoots the range: its patches are chosen
    where the unsharpened scan has them)."""
    select = hu if select is None else select
    nz, ny, nx = hu.shape
    patches = []
    yy, xx = np.mgrid[0:32, 0:32]
    A = np.stack([np.ones(1024), yy.ravel(), xx.ravel()], 1)
    for k in range(nz // 5, 4 * nz // 5, max(1, nz // 30)):
        for j in range(64, ny - 96, 24):
            for i in range(64, nx - 96, 24):
                q = select[k, j:j + 32, i:i + 32]
                if q.min() < -150 or q.max() > 150:
                    continue
                p = hu[k, j:j + 32, i:i + 32]
                coef, *_ = np.linalg.lstsq(A, p.ravel(), rcond=None)
                r = (p.ravel() - A @ coef).reshape(32, 32)
                patches.append(r)
    if len(patches) < 20:
        raise SystemExit(f'noise: only {len(patches)} homogeneous patches')
    stds = np.array([p.std() for p in patches])
    keep = [p for p, s in zip(patches, stds) if s <= np.quantile(stds, 1 / 3)]
    win = np.outer(np.hanning(32), np.hanning(32))
    nps = np.mean([np.abs(np.fft.fft2(p * win)) ** 2 for p in keep], axis=0)
    kernel = np.real(np.fft.fftshift(np.fft.ifft2(np.sqrt(nps))))
    kernel = kernel[8:25, 8:25]
    sigma = float(np.mean([p.std() for p in keep]))
    kernel = kernel / np.sqrt((kernel ** 2).sum()) * sigma
    return {'patches': len(keep), 'stdHu': round(sigma, 2)}, kernel.astype(np.float32)


def synth_noise(shape, kernel, rng):
    """Per-slice 2D noise with the measured texture (independent between slices)."""
    nz, ny, nx = shape
    p = kernel.shape[0] // 2
    w = torch.from_numpy(rng.standard_normal((nz, 1, ny + 2 * p, nx + 2 * p)).astype(np.float32))
    return F.conv2d(w, torch.from_numpy(kernel)[None, None])[:, 0].numpy()


def gaussian_blur(a, sig_vox):
    """Separable Gaussian blur of a 3D array [z,y,x], sigma per axis in voxels."""
    t = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))[None, None]
    for ax, s in enumerate(sig_vox):
        if s < 0.05:
            continue
        r = max(1, int(math.ceil(3 * s)))
        g = np.exp(-0.5 * (np.arange(-r, r + 1) / s) ** 2)
        g = torch.from_numpy((g / g.sum()).astype(np.float32))
        shape = [1, 1, 1, 1, 1]
        shape[2 + ax] = len(g)
        pad = [0, 0, 0, 0, 0, 0]
        pad[2 * (2 - ax)] = pad[2 * (2 - ax) + 1] = r
        t = F.conv3d(F.pad(t, pad, mode='replicate'), g.reshape(shape))
    return t[0, 0].numpy()


# ------------------------------------------------------------------------------- masks and sites


def lung_masks(hu):
    """Per axial slice, computed on a 2x in-plane subsampled grid (the masks only choose sites):
    lung = air (< -400 HU) not reached from the image border; filled = lung with its vessels and
    airway walls closed in (~7 mm closing), i.e. where nodules can sit; airway = large airway
    lumens (trachea, main and lobar bronchi: pure air at least ~6 mm wide, far below aerated lung
    at ~ -880 HU after a 6 mm mean), where nodules do not sit."""
    h = torch.from_numpy(np.ascontiguousarray(hu[:, ::2, ::2]))[:, None]
    air = (h < -400).float()
    s = air[:, 0].numpy() == 0
    reach = ((np.cumsum(s, 2) == 0) | (np.cumsum(s[:, :, ::-1], 2) == 0)[:, :, ::-1]
             | (np.cumsum(s, 1) == 0) | (np.cumsum(s[:, ::-1, :], 1) == 0)[:, ::-1, :])
    outside = torch.from_numpy(reach.astype(np.float32))[:, None]
    for _ in range(40):
        grown = F.max_pool2d(outside, 3, 1, 1) * air
        if torch.equal(grown, outside):
            break
        outside = grown
    lung = (air - outside).clamp(min=0)
    closed = -F.max_pool2d(-F.max_pool2d(lung, 5, 1, 2), 5, 1, 2)
    airway = (F.avg_pool2d(h, 5, 1, 2) < -965) & (lung > 0)
    ny, nx = hu.shape[1:]
    up = lambda m: np.repeat(np.repeat(m[:, 0].numpy() > 0, 2, axis=1), 2, axis=2)[:, :ny, :nx]
    return up(lung), up(closed), up(airway)


def luna_marks(uid):
    out = []
    for name in LUNA_UID_FILES:
        for line in open(os.path.join(SHARED, 'ct', name)).read().strip().split('\n')[1:]:
            f = line.split(',')
            if f[0] == uid:
                d = float(f[4])
                out.append(((float(f[1]), float(f[2]), float(f[3])), d if d > 0 else 10.0))
    return out


def sample_size(rng):
    band = rng.choice(4, p=[0.40, 0.30, 0.18, 0.12])
    lo, hi = [(3, 6), (6, 10), (10, 20), (20, 30)][band]
    return round(float(math.exp(rng.uniform(math.log(lo), math.log(hi)))), 1)


# The 'hard' mix: the kinds the shipped characterizer misses most on held-out insertions
# (ground-glass 0.32 and juxtavascular 0.40 sensitivity at 1 FP/scan, session 6): 45% ground-glass,
# 35% part-solid, 20% solid, 60% attached to a vessel. Training only; the default mix (the
# synthetic phantoms' own) stays the one every validation and test seed is drawn from.
HARD_TYPES = (('ground-glass', 0.45), ('part-solid', 0.35), ('solid', 0.20))
# The 'faint' mix: the phantoms' ground glass (-650..-400 HU, part-solid rims -600..-450) is denser
# than much real ground glass (LIDC-IDRI-0002's nodule averages -670 HU inside its readers' contours;
# pure ground-glass nodules are reported at -800..-600 HU). Size checks only (training/size_check.ts):
# 40% ground-glass, 40% part-solid, 20% solid, their ground glass drawn from FAINT_GGO_HU.
FAINT_TYPES = (('ground-glass', 0.40), ('part-solid', 0.40), ('solid', 0.20))
FAINT_GGO_HU = (-750, -600)
# The 'vessel' mix (session 41): the default kinds and sizes, 80% attached to a vessel. On the
# held-out insertions juxtavascular nodules are the shipped model's weakest site (0.50 at 1 FP/scan,
# 0.70 a candidate at all; free 0.91, juxtapleural 0.86): training data for an experiment
# (training/vessel_experiment.sh), never a validation or test seed.
SITES = {'default': (0.4, 0.3, 0.3), 'hard': (0.6, 0.25, 0.15), 'faint': (0.4, 0.3, 0.3), 'vessel': (0.8, 0.1, 0.1)}


def make_nodule(rng, mix='default'):
    nod = sample_nodule(rng)
    d = sample_size(rng)
    if mix in ('hard', 'faint'):
        types = HARD_TYPES if mix == 'hard' else FAINT_TYPES
        t = types[int(rng.choice(3, p=[p for _, p in types]))][0]
        nod['type'] = t
        nod['core'] = round(nod['diameterMm'] * rng.uniform(0.3, 0.6), 1) if t == 'part-solid' else None
        if mix == 'hard':
            nod['ggoHu'] = rng.uniform(-650, -400) if t == 'ground-glass' else rng.uniform(-600, -450)
        else:
            nod['ggoHu'] = rng.uniform(*FAINT_GGO_HU)
    f = d / nod['diameterMm']
    nod['lobes'] = [(off * f, r * f) for off, r in nod['lobes']]
    nod['spicules'] = [(u, (l - 2) * f + 2, min(1.4, max(0.5, r0 * f))) for u, l, r0 in nod['spicules']]
    if nod['type'] == 'part-solid' and d < 6:
        nod['type'], nod['core'] = 'solid', None
    if nod['margin'] == 'spiculated' and (d < 6 or nod['type'] == 'ground-glass'):
        nod['margin'], nod['spiculated'], nod['spicules'] = 'lobulated', False, []
    if nod['core']:
        nod['core'] = round(d * nod['core'] / nod['diameterMm'], 1)
    nod['diameterMm'] = d
    return nod


# ------------------------------------------------------------------------------- rendering


def render(nod, centre_w, box_lo, box_shape, grid, sub):
    """Occupancy and occupancy-weighted HU of one nodule on the native voxel box, integrated over
    each voxel's footprint with sub-samples <= SUB_MM apart. grid = (dx, dy, dz, thickness,
    origin_x, origin_y, zs)."""
    dx, dy, dz, thick, ox, oy, zs = grid
    nzb, nyb, nxb = box_shape
    k0, j0, i0 = box_lo
    sx, sy, sz = sub
    # Sub-sample offsets inside a voxel footprint (centred), mm.
    ox_s = (np.arange(sx) + 0.5) / sx * dx - dx / 2
    oy_s = (np.arange(sy) + 0.5) / sy * dy - dy / 2
    oz_s = (np.arange(sz) + 0.5) / sz * thick - thick / 2
    xs = (ox + (i0 + np.arange(nxb)) * dx)[:, None] + ox_s[None]  # [nx, sx]
    ys = (oy + (j0 + np.arange(nyb)) * dy)[:, None] + oy_s[None]
    zc = zs[k0:k0 + nzb]
    zz = zc[:, None] + oz_s[None]
    X = (xs.ravel() - centre_w[0]).astype(np.float32)
    Y = (ys.ravel() - centre_w[1]).astype(np.float32)
    Z = (zz.ravel() - centre_w[2]).astype(np.float32)
    occ = np.zeros((nzb, nyb, nxb), np.float32)
    acc = np.zeros((nzb, nyb, nxb), np.float32)
    k_tex, ph = nod['tex']
    k_tex = k_tex.astype(np.float32)
    R = nod['diameterMm'] / 2
    for zi in range(nzb):
        z = Z[zi * sz:(zi + 1) * sz][:, None, None]
        y = Y[None, :, None]
        x = X[None, None, :]
        P = [x, y, z]
        body = None
        for off, r in nod['lobes']:
            d = np.sqrt((x - off[0]) ** 2 + (y - off[1]) ** 2 + (z - off[2]) ** 2) - r
            body = d if body is None else np.minimum(body, d)
        tex = np.cos(k_tex[0] * x + k_tex[1] * y + k_tex[2] * z + ph)
        inside = body <= 0
        if nod['type'] == 'solid':
            val = nod['solidHu'] + 15 * tex
        else:
            val = nod['ggoHu'] + 25 * tex
            if nod['core']:
                core = np.sqrt(x ** 2 + y ** 2 + z ** 2) <= nod['core'] / 2
                val = np.where(core, np.float32(nod['solidHu']) + 0 * tex, val)
        val = np.broadcast_to(val, inside.shape)
        if nod['spicules']:
            spic = np.zeros(inside.shape, bool)
            for u, length, r0 in nod['spicules']:
                a = u * R * 0.5
                ab = u * (length - R * 0.5)
                px, py, pz = x - a[0], y - a[1], z - a[2]
                t = np.clip((px * ab[0] + py * ab[1] + pz * ab[2]) / (ab @ ab), 0, 1)
                dist = np.sqrt((px - t * ab[0]) ** 2 + (py - t * ab[1]) ** 2 + (pz - t * ab[2]) ** 2)
                spic |= dist <= (r0 + t * (0.2 - r0))
            shu = nod['ggoHu'] if nod['type'] == 'ground-glass' else nod['solidHu'] - 40
            val = np.where(inside, val, np.float32(shu))
            inside = inside | spic
        # Average over the sub-samples of each voxel: [sz, nyb*sy, nxb*sx] -> [nyb, nxb].
        ins = inside.reshape(sz, nyb, sy, nxb, sx).astype(np.float32)
        v = (val * inside).reshape(sz, nyb, sy, nxb, sx)
        occ[zi] = ins.mean(axis=(0, 2, 4))
        acc[zi] = v.mean(axis=(0, 2, 4))
    return occ, acc


def choose_site(rng, kind, R, lung, filled, airway, hu, grid, taken, marks):
    """A nodule centre (world mm) for the attachment kind, from this scan's own HU."""
    dx, dy, dz, thick, ox, oy, zs = grid
    nz, ny, nx = hu.shape
    for _ in range(4000):
        k = int(rng.integers(nz // 12, nz - nz // 12))
        j = int(rng.integers(0, ny))
        i = int(rng.integers(0, nx))
        if kind == 'free':
            if not lung[k, j, i]:
                continue
            c = np.array([ox + i * dx, oy + j * dy, zs[k]])
        elif kind == 'vessel':
            # A vessel voxel inside the lungs (dense, surrounded by aerated lung).
            if not (filled[k, j, i] and not lung[k, j, i] and -150 < hu[k, j, i] < 300):
                continue
            u = random_unit(rng)
            c = np.array([ox + i * dx, oy + j * dy, zs[k]]) + u * R * rng.uniform(0.6, 0.95)
        else:  # pleura: lung voxel next to the chest wall; centre moved inwards so it touches
            if not lung[k, j, i]:
                continue
            r = 4
            win = filled[k, max(0, j - r):j + r + 1, max(0, i - r):i + r + 1]
            if win.all():
                continue
            wy, wx = np.nonzero(~win)
            inward = -np.array([(wx - min(i, r)).mean() * dx, (wy - min(j, r)).mean() * dy, 0.0])
            n = np.linalg.norm(inward)
            if n < 1e-3:
                continue
            c = np.array([ox + i * dx, oy + j * dy, zs[k]]) + inward / n * R * rng.uniform(0.5, 0.85)
        # The centre must sit in the lungs, well inside the slab, and away from everything else.
        ci = int(round((c[0] - ox) / dx)), int(round((c[1] - oy) / dy)), int(np.argmin(np.abs(zs - c[2])))
        if not (0 <= ci[0] < nx and 0 <= ci[1] < ny) or not filled[ci[2], ci[1], ci[0]]:
            continue
        if c[2] - R < zs[0] + 6 or c[2] + R > zs[-1] - 6:
            continue
        if any(np.linalg.norm(c - np.array(p)) < R + pr + 15 for p, pr in taken):
            continue
        if any(np.linalg.norm(c - np.array(p)) < R + pd / 2 + 20 for p, pd in marks):
            continue
        # Not in or next to a large airway; mostly within the (vessel-filled) lungs, so that it
        # does not grow into the mediastinum or chest wall beyond touching it.
        rr = int(math.ceil((R + 5) / dx))
        kk = max(1, int(math.ceil((R + 5) / dz)))
        box = (slice(max(0, ci[2] - kk), ci[2] + kk + 1), slice(max(0, ci[1] - rr), ci[1] + rr + 1), slice(max(0, ci[0] - rr), ci[0] + rr + 1))
        if airway[box].any():
            continue
        rr1 = int(math.ceil(R / dx))
        kk1 = max(0, int(math.ceil(R / dz)))
        inner = filled[max(0, ci[2] - kk1):ci[2] + kk1 + 1, max(0, ci[1] - rr1):ci[1] + rr1 + 1, max(0, ci[0] - rr1):ci[0] + rr1 + 1]
        if inner.mean() < (0.6 if kind == 'pleura' else 0.8):
            continue
        if kind == 'free':
            # Mostly aerated lung around it (so it is free, not touching the wall).
            rr = int(math.ceil((R + 3) / dx))
            kk = max(1, int(math.ceil((R + 3) / dz)))
            sl = lung[max(0, ci[2] - kk):ci[2] + kk + 1, max(0, ci[1] - rr):ci[1] + rr + 1, max(0, ci[0] - rr):ci[0] + rr + 1]
            fl = filled[max(0, ci[2] - kk):ci[2] + kk + 1, max(0, ci[1] - rr):ci[1] + rr + 1, max(0, ci[0] - rr):ci[0] + rr + 1]
            if not fl.all() or sl.mean() < 0.85:
                continue
        return c
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--study', required=True)
    ap.add_argument('--seed', type=int, required=True)
    ap.add_argument('--count', type=int, default=24)
    ap.add_argument('--out', required=True)
    ap.add_argument('--mix', choices=sorted(SITES), default='default',
                    help="nodule kinds: the phantoms' own mix, 'hard' (mostly ground-glass, part-solid, juxtavascular) "
                         "'faint' (ground glass -750..-600 HU; size checks) or 'vessel' (the default kinds, 80%% juxtavascular)")
    ap.add_argument('--thicken', type=int, default=1,
                    help='first average every K adjacent slices into one K x thicker slice (a thick-slice '
                         'scanner protocol from the same patient; the nodules are then rendered on that grid)')
    ap.add_argument('--sharpen', type=float, default=0.0,
                    help='then re-render the scan as if reconstructed with a sharp kernel: in-plane unsharp mask of '
                         'this amount (sigma 1 pixel; 1.5 ~ a lung kernel from a standard one)')
    ap.add_argument('--noise-gain', type=float, default=1.0,
                    help='then add noise of the scan\'s own texture until its noise is G x what it was (a lower-dose '
                         'acquisition of the same patient: quantum noise goes as 1 / sqrt(mAs), so G = 2 is a quarter of the dose)')
    a = ap.parse_args()
    if a.noise_gain < 1:
        raise SystemExit('--noise-gain: at least 1 (noise cannot be removed)')
    rng = np.random.default_rng(a.seed * 1000 + int(a.study))
    files, ds, raw, hu, (dx, dy, dz), thick, origin, zs = load_series(series_dir(a.study))
    if a.thicken > 1:
        files, ds, raw, hu, dz, thick, origin, zs = thicken(files, ds, hu, dz, thick, zs, a.thicken)
    hu_plain = hu
    if a.sharpen > 0:
        raw, hu = sharpen(ds, hu, a.sharpen)
    # Sites and masks are chosen on the scan before any dose is taken away: the same seed places the
    # same nodules at every --noise-gain, so protocols compare nodule for nodule.
    hu_sites = hu
    if a.noise_gain > 1:
        raw, hu = lower_dose(ds, hu, hu_plain, a.noise_gain, np.random.default_rng([a.seed, int(a.study), 7919]))
    uid = str(ds[0].SeriesInstanceUID)
    # The PSF of the acquisition (added noise does not change it, and measuring it on the scan
    # before any dose is taken away keeps every random draw below the same at every --noise-gain).
    psf = measure_psf(hu_sites, (dx, dy, dz))
    noise_info, kernel = measure_noise(hu, hu_plain)
    print(f'{a.study}: spacing {dx:.3f} x {dy:.3f} x {dz:.3f} mm, thickness {thick} mm; PSF {psf}; noise {noise_info}', flush=True)
    lung, filled, airway = lung_masks(hu_sites)
    grid = (dx, dy, dz, thick, origin[0], origin[1], zs)
    marks = luna_marks(uid)
    sub = (max(1, math.ceil(dx / SUB_MM)), max(1, math.ceil(dy / SUB_MM)), max(1, math.ceil(thick / SUB_MM)))
    sig_vox = (psf['sigmaMm'] / thick, psf['sigmaMm'] / dy, psf['sigmaMm'] / dx)
    new_hu = hu.copy()
    placed, taken = [], []
    kinds = ['vessel', 'pleura', 'free']
    for n_i in range(a.count):
        nod = make_nodule(rng, a.mix)
        kind = kinds[int(rng.choice(3, p=list(SITES[a.mix])))]
        R = nod['diameterMm'] / 2
        c = choose_site(rng, kind, R, lung, filled, airway, hu_sites, grid, taken, marks)
        if c is None:
            print(f'  no site for {kind} {nod["diameterMm"]} mm; skipped', flush=True)
            continue
        ext = R * 2.3 + 4 if nod['spicules'] else R + 4
        ext += 3 * psf['sigmaMm']
        i_lo = max(0, int(math.floor((c[0] - ext - origin[0]) / dx)))
        i_hi = min(hu.shape[2], int(math.ceil((c[0] + ext - origin[0]) / dx)) + 1)
        j_lo = max(0, int(math.floor((c[1] - ext - origin[1]) / dy)))
        j_hi = min(hu.shape[1], int(math.ceil((c[1] + ext - origin[1]) / dy)) + 1)
        k_lo = int(np.searchsorted(zs, c[2] - ext - thick))
        k_hi = int(np.searchsorted(zs, c[2] + ext + thick))
        k_lo, k_hi = max(0, k_lo), min(len(zs), k_hi)
        shape = (k_hi - k_lo, j_hi - j_lo, i_hi - i_lo)
        occ, acc = render(nod, c, (k_lo, j_lo, i_lo), shape, grid, sub)
        # In z the slice sensitivity is the footprint (integrated above) plus the same PSF.
        occ_b = np.clip(gaussian_blur(occ, sig_vox), 0, 1)
        acc_b = gaussian_blur(acc, sig_vox)
        nod_hu = np.where(occ_b > 1e-3, acc_b / np.maximum(occ_b, 1e-3), 0)
        bg = new_hu[k_lo:k_hi, j_lo:j_hi, i_lo:i_hi]
        bg_s = gaussian_blur(bg, (0.6 * 1.25 / thick, 1.2, 1.2))
        bg_n = bg - bg_s
        # Denser structures already there (vessels, chest wall) win; noise keeps its variance.
        target = np.maximum(nod_hu, bg_s)
        syn = synth_noise(shape, kernel, rng)
        w = occ_b
        out = bg_s + w * (target - bg_s) + (1 - w) * bg_n + np.sqrt(np.clip(1 - (1 - w) ** 2, 0, 1)) * syn
        touched = occ_b > 1e-3
        bg[touched] = out[touched]
        taken.append((c.tolist(), R))
        placed.append({
            'id': f'{a.study}-s{a.seed}-{n_i}',
            'worldLps': [round(float(v), 3) for v in c],
            'diameterMm': nod['diameterMm'],
            'type': nod['type'],
            'margin': nod['margin'],
            'spiculated': bool(nod['spiculated']),
            'attachment': {'vessel': 'juxtavascular', 'pleura': 'juxtapleural', 'free': 'free'}[kind],
            'solidHu': round(float(nod['solidHu']), 1),
            'ggoHu': round(float(nod['ggoHu']), 1),
            'coreMm': nod['core'],
        })
        print(f'  {placed[-1]}', flush=True)

    slope, icpt = float(ds[0].RescaleSlope), float(ds[0].RescaleIntercept)
    new_raw = np.round((new_hu - icpt) / slope).astype(np.int64)
    changed = new_hu != hu
    signed = int(ds[0].PixelRepresentation) == 1
    lo_v, hi_v = (-32768, 32767) if signed else (0, 65535)
    new_raw = np.where(changed, np.clip(new_raw, lo_v, hi_v), raw)
    os.makedirs(a.out, exist_ok=True)
    # Derived protocols get their own entropy (the same seed sharpened is another series); the
    # plain and thickened series keep the UIDs they always had.
    extra = ([f'sharpen {a.sharpen}'] if a.sharpen > 0 else []) + ([f'noise {a.noise_gain}'] if a.noise_gain > 1 else [])
    series_uid = generate_uid(entropy_srcs=[uid, a.study, str(a.seed), 'pulmolens-insert', *extra])
    dtype = np.int16 if signed else np.uint16
    for n, (f, d) in enumerate(zip(files, ds)):
        d = pydicom.dcmread(f)
        d.SeriesInstanceUID = series_uid
        sop = generate_uid(entropy_srcs=[series_uid, str(n)])
        d.SOPInstanceUID = sop
        d.file_meta.MediaStorageSOPInstanceUID = sop
        d.SeriesDescription = f'{d.get("SeriesDescription", "")} + synthetic nodules (PulmoLens training, seed {a.seed})'.strip()
        d.SeriesNumber = int(d.get('SeriesNumber', 1) or 1) + 1000 + a.seed
        if a.thicken > 1:
            ipp = [float(v) for v in d.ImagePositionPatient]
            d.ImagePositionPatient = [ipp[0], ipp[1], round(float(zs[n]), 4)]
            if 'SliceLocation' in d:
                d.SliceLocation = round(float(zs[n]), 4)
            d.SliceThickness = round(thick, 4)
            if 'SpacingBetweenSlices' in d:
                d.SpacingBetweenSlices = round(dz, 4)
            d.InstanceNumber = n + 1
        if a.noise_gain > 1 and 'XRayTubeCurrent' in d:
            d.XRayTubeCurrent = max(1, round(float(d.XRayTubeCurrent) / a.noise_gain ** 2))
        if a.sharpen > 0:
            d.ConvolutionKernel = f'PL-UNSHARP{a.sharpen:g}'  # SH: 16 characters at most
        d.PixelData = new_raw[n].astype(dtype).tobytes()
        d.save_as(os.path.join(a.out, f'{n:04d}.dcm'))
    meta = {
        'study': f'LIDC-IDRI-{a.study}', 'seed': a.seed, 'mix': a.mix, 'sourceSeriesInstanceUid': uid,
        'seriesInstanceUid': series_uid, 'spacingMm': [dx, dy, dz], 'sliceThicknessMm': thick, 'thickenedBy': a.thicken,
        'sharpenedBy': a.sharpen, 'noiseGain': a.noise_gain,
        'psf': psf, 'noise': noise_info, 'subSamples': list(sub), 'nodules': placed,
    }
    json.dump(meta, open(a.out.rstrip('/') + '.json', 'w'), indent=2)
    print(f'wrote {len(files)} slices, {len(placed)} nodules -> {a.out}', flush=True)


if __name__ == '__main__':
    main()
