"""Whole-volume inference in PyTorch, mirroring what the app's runtime does with the ONNX models:
sliding 64^3 windows with overlap and Gaussian blending over the lung bounding box, the
probability kept within the (dilated) lung mask, local maxima as candidates, a 32^3 cube per
candidate for the characterizer."""
import numpy as np
import torch
import torch.nn.functional as F

from common import CUBE, PATCH, crop, normalize


def gaussian_weight(size, sigma_frac=0.25):
    g = np.exp(-0.5 * ((np.arange(size) - (size - 1) / 2) / (sigma_frac * size)) ** 2)
    w = g[:, None, None] * g[None, :, None] * g[None, None, :]
    return (w / w.max()).astype(np.float32)


def box_max(t, r):
    """Max over a (2r+1)^3 box, done as three 1-D passes (same result, ~r^2 times cheaper)."""
    k = 2 * r + 1
    t = F.max_pool3d(t, (k, 1, 1), 1, (r, 0, 0))
    t = F.max_pool3d(t, (1, k, 1), 1, (0, r, 0))
    return F.max_pool3d(t, (1, 1, k), 1, (0, 0, r))


def dilate(mask, r):
    m = torch.from_numpy(mask[None, None].astype(np.float32))
    return box_max(m, r)[0, 0].numpy() > 0


def starts(lo, hi, size, stride):
    """Window starts covering [lo, hi) with windows of `size`."""
    if hi - lo <= size:
        return [lo]
    s = list(range(lo, hi - size, stride))
    return s + [hi - size]


@torch.no_grad()
def probability_map(net, vol, mask, stride=48, batch=2):
    x = normalize(vol)
    region = dilate(mask, 10)
    idx = np.argwhere(region)
    lo = np.maximum(idx.min(0) - 2, 0)
    hi = np.minimum(idx.max(0) + 3, vol.shape)
    # Pad so windows fit even when the region is smaller than a window.
    pad = [(0, max(0, PATCH - (h - l))) for l, h in zip(lo, hi)]
    if any(p[1] for p in pad):
        x = np.pad(x, pad, constant_values=0)
        hi = np.maximum(hi, lo + PATCH)
    acc = np.zeros(x.shape, np.float32)
    wsum = np.zeros(x.shape, np.float32)
    w = gaussian_weight(PATCH)
    corners = [(z, y, xx) for z in starts(lo[0], hi[0], PATCH, stride) for y in starts(lo[1], hi[1], PATCH, stride) for xx in starts(lo[2], hi[2], PATCH, stride)]
    for b in range(0, len(corners), batch):
        cs = corners[b : b + batch]
        inp = torch.from_numpy(np.stack([x[z : z + PATCH, y : y + PATCH, xx : xx + PATCH] for z, y, xx in cs]))[:, None]
        out = net(inp)[:, 0].numpy()
        for (z, y, xx), o in zip(cs, out):
            acc[z : z + PATCH, y : y + PATCH, xx : xx + PATCH] += o * w
            wsum[z : z + PATCH, y : y + PATCH, xx : xx + PATCH] += w
    prob = np.where(wsum > 0, acc / np.maximum(wsum, 1e-6), 0)[: vol.shape[0], : vol.shape[1], : vol.shape[2]]
    return prob * region, len(corners)


def candidates(prob, threshold=0.05, merge_mm=8.0, max_count=200):
    """Local maxima above threshold, greedily merged within merge_mm (voxels are 1 mm)."""
    t = torch.from_numpy(prob)[None, None]
    peak = (box_max(t, 2)[0, 0].numpy() == prob) & (prob > threshold)
    pts = np.argwhere(peak)
    # Only the strongest peaks can survive merging; bound the work on a noisy map.
    order = np.argsort(-prob[tuple(pts.T)])[: max_count * 20]
    kept = []
    for i in order:
        p = pts[i]
        if all(np.sum((p - q) ** 2) > merge_mm ** 2 for q, _ in kept):
            kept.append((p, float(prob[tuple(p)])))
        if len(kept) >= max_count:
            break
    return kept


@torch.no_grad()
def characterize(net, vol, points, batch=32):
    out = []
    for b in range(0, len(points), batch):
        cubes = np.stack([normalize(crop(vol, p, CUBE)) for p in points[b : b + batch]])
        pn, pt, ps = net(torch.from_numpy(cubes)[:, None])
        out += [(float(a[0]), [float(v) for v in t], float(s[0])) for a, t, s in zip(pn, pt, ps)]
    return out
