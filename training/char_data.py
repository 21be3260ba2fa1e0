"""Characterizer v2 data: the candidate miner's output (model contract v2) labelled against the
inserted nodules' sidecar JSON and LUNA16's marks.

A mined series is `<prefix>.json` + `<prefix>.cubes.f32` (N x 2 x 32^3 float32, little endian, the
app's own cubes). Labels per candidate:
  1  positive: centre within the radius of an inserted nodule (the LUNA16 hit rule);
  0  negative: farther than 1.5 radii from every inserted nodule and farther than
     max(1.5 radii, radius + 10 mm) from every LUNA16 nodule or excluded mark (15 mm for marks
     without a diameter), so a real nodule and its surroundings are never negatives;
 -1  ignored (in between, or near an inserted nodule whose centre is outside the aerated lung).
"""
import csv
import json
import os
import zlib

import numpy as np

from common import MINED, MINED_ADD, MINED_ADD_QUOTA, RUNS, SHARED, TYPE_ORDER, mined_copy

CUBE_SHAPE = (2, 32, 32, 32)


def luna_marks(series_uid):
    """(world xyz, radius mm, kind) of LUNA16 annotated nodules and excluded marks for a series."""
    out = []
    for name, kind in (('luna16-annotations.csv', 'nodule'), ('luna16-annotations-excluded.csv', 'excluded')):
        with open(os.path.join(SHARED, 'ct', name)) as f:
            for row in csv.DictReader(f):
                if row['seriesuid'] == series_uid:
                    d = float(row['diameter_mm'])
                    out.append((np.array([float(row['coordX']), float(row['coordY']), float(row['coordZ'])]), d / 2 if d > 0 else None, kind))
    return out


def added_prefix(prefix):
    """The PULMOLENS_MINED_ADD delta of a mined series, or None when no delta is asked for."""
    if not MINED_ADD:
        return None
    add = os.path.join(MINED_ADD, os.path.basename(prefix))
    if not os.path.exists(add + '.json'):
        raise SystemExit(f'{add}.json missing: PULMOLENS_MINED_ADD is set and every series needs its delta (mine_thickness_all.sh)')
    return add


def mined_meta(prefix):
    """A mined series' JSON, with the PULMOLENS_MINED_ADD delta's candidates appended."""
    meta = json.load(open(prefix + '.json'))
    add = added_prefix(prefix)
    if add:
        extra = json.load(open(add + '.json'))
        if extra['seriesInstanceUid'] != meta['seriesInstanceUid']:
            raise SystemExit(f'{add}.json: another series than {prefix}.json')
        meta = {**meta, 'candidates': meta['candidates'] + extra['candidates'][:MINED_ADD_QUOTA]}
    return meta


def read_cubes(prefix, n):
    cubes = np.fromfile(prefix + '.cubes.f32', dtype='<f4', count=n * int(np.prod(CUBE_SHAPE)))
    if cubes.size != n * int(np.prod(CUBE_SHAPE)):
        raise SystemExit(f'{prefix}.cubes.f32: {cubes.size} floats for {n} candidates')
    return cubes.reshape((n,) + CUBE_SHAPE)


def load_mined(prefix):
    meta = mined_meta(prefix)
    base = len(json.load(open(prefix + '.json'))['candidates'])
    cubes = read_cubes(prefix, base)
    if len(meta['candidates']) > base:
        cubes = np.concatenate([cubes, read_cubes(added_prefix(prefix), len(meta['candidates']) - base)])
    return meta, cubes


def label_series(meta, inserted, source_uid):
    """Per candidate: label (1/0/-1), index of the inserted nodule hit (or -1)."""
    marks = luna_marks(source_uid)
    world = np.array([c['world'] for c in meta['candidates']], dtype=np.float64).reshape(-1, 3)
    labels = np.zeros(len(world), np.int8)
    hit = np.full(len(world), -1, np.int32)
    for q, w in enumerate(world):
        best = None
        for i, nod in enumerate(inserted):
            r = nod['diameterMm'] / 2
            d = np.linalg.norm(w - np.array(nod['worldLps']))
            if d <= r and (best is None or d < best[1]):
                best = (i, d)
            elif d <= 1.5 * r:
                labels[q] = -1
        if best is not None:
            labels[q], hit[q] = 1, best[0]
            continue
        for p, r, _ in marks:
            d = np.linalg.norm(w - p)
            if d <= (max(1.5 * r, r + 10) if r else 15):
                labels[q] = -1
    return labels, hit


class Series:
    """One mined series with labels; cubes kept as float16 to halve memory."""

    def __init__(self, name, prefix, sidecar=None, source_uid=None, cubes=True):
        self.name = name
        self.prefix = prefix
        if cubes:
            self.meta, c = load_mined(prefix)
            self.cubes = c.astype(np.float16)
        else:
            # Scorers that re-read the float32 cubes (cv_report.exact_logits) need only the labels:
            # at the 600/400 quota every LIDC-IDRI-0001 series' cubes together outgrow 24 GB.
            self.meta, self.cubes = mined_meta(prefix), None
        ins = json.load(open(sidecar)) if sidecar else None
        nodules = ins['nodules'] if ins else []
        # Nodules centred outside the aerated lung (site_check.py) are not training material:
        # their surroundings are ignored, they are not counted.
        sites = sidecar[:-5] + '.sites.json' if sidecar else None
        ok = json.load(open(sites)) if sites and os.path.exists(sites) else None
        if sidecar and ok is None:
            raise SystemExit(f'{sites} missing: run training/site_check.py')
        self.inserted = [n for n in nodules if ok[n['id']]]
        self.off_site = [n for n in nodules if not ok[n['id']]]
        self.source_uid = ins['sourceSeriesInstanceUid'] if ins else (source_uid or self.meta['seriesInstanceUid'])
        self.background = ins['study'] if ins else name
        self.labels, self.hit = label_series(self.meta, self.inserted, self.source_uid)
        if self.off_site:
            off, _ = label_series(self.meta, self.off_site, self.source_uid)
            self.labels[(off != 0) & (self.labels == 0)] = -1
        self.type_idx = np.array([TYPE_ORDER.index(self.inserted[h]['type']) if h >= 0 else -1 for h in self.hit], np.int64)
        self.spic = np.array([int(self.inserted[h]['spiculated']) if h >= 0 else -1 for h in self.hit], np.int64)

    def subsample_negatives(self, cap, seed=0):
        """Keeps at most `cap` negatives (a fixed random draw per series name), every positive and
        ignored candidate: a larger stage-1 quota (mine_candidates.ts --blob-quota) mines ~3x the
        candidates, and all their cubes would not fit a trainer in 24 GB."""
        neg = np.flatnonzero(self.labels == 0)
        if cap is None or len(neg) <= cap:
            return self
        rng = np.random.default_rng([seed, zlib.crc32(self.name.encode())])
        keep = np.sort(np.concatenate([np.flatnonzero(self.labels != 0), rng.choice(neg, cap, replace=False)]))
        if self.cubes is None:
            raise ValueError(f'{self.name}: negatives subsampled on a series read without its cubes')
        self.cubes, self.labels, self.hit = self.cubes[keep], self.labels[keep], self.hit[keep]
        self.type_idx, self.spic = self.type_idx[keep], self.spic[keep]
        self.meta = {**self.meta, 'candidates': [self.meta['candidates'][i] for i in keep]}
        return self

    def summary(self):
        return {'series': self.name, 'candidates': int(len(self.labels)), 'positives': int((self.labels == 1).sum()),
                'negatives': int((self.labels == 0).sum()), 'ignored': int((self.labels == -1).sum()),
                'inserted': len(self.inserted), 'insertedOutsideLungIgnored': len(self.off_site), 'insertedHit': int(len(set(self.hit[self.hit >= 0].tolist())))}


def real_copies(study='LIDC-IDRI-0001', thick=False, cubes=True, low_dose=False):
    """The real scan's own candidates and those of its derived real copies, nothing inserted: the
    sharp-kernel renderings (runs/sharp/, mined into runs/sharp-mined/), with thick the 5 mm copy
    (runs/thick/, mined into runs/thick-mined/), with low_dose its noise x2 and x3 copies
    (runs/lowdose/, mined into runs/lowdose-mined/; session 20). cubes=False: labels only (Series)."""
    out = [Series(study, os.path.join(MINED, study), cubes=cubes)]
    copies = ([('sharp', f'{study}-k15'), ('sharp', f'{study}-k3')] + ([('thick', f'{study}-t2')] if thick else [])
              + ([('lowdose', f'{study}-n2'), ('lowdose', f'{study}-n3')] if low_dose else []))
    for folder, name in copies:
        side = json.load(open(os.path.join(RUNS, folder, name + '.json')))
        out.append(Series(name, mined_copy(folder, name), None, source_uid=side['sourceSeriesInstanceUid'], cubes=cubes))
    return out


# Cranio-caudal split of one background (session 12): its real negatives train on one side of the
# plane z = zc (LPS mm), everything is measured on the other. Training keeps a guard band so that
# one vessel crossing the plane is not on both sides.
SPLIT_GUARD_MM = 10.0


def candidate_z(s):
    return np.array([c['world'][2] for c in s.meta['candidates']], dtype=np.float64)


# A member trains on the real negatives outside one slab (and its guard bands) and scores the
# candidates inside it. Halves (session 12) are the two slabs of one plane: upper = all but z <= zc;
# session 15's four slabs let each member learn ~60% of the background's negatives instead of ~45%.
def in_slab(z, zlo, zhi):
    """The held-out slab zlo < z <= zhi (LPS mm)."""
    return (z > zlo) & (z <= zhi)


def off_slab(z, zlo, zhi, guard=0.0):
    """Outside the slab zlo < z <= zhi by more than guard on either side."""
    return (z <= zlo - guard) | (z > zhi + guard)


def keep_off_slab(s, zlo, zhi, guard=0.0):
    """Series s with every candidate in the slab or its guard bands ignored (label -1)."""
    s.labels = np.where(off_slab(candidate_z(s), zlo, zhi, guard), s.labels, -1).astype(np.int8)
    return s


def half_edges(half, zc):
    """The slab a half's members leave out: 'upper' learned z > zc, 'lower' z <= zc."""
    return (-np.inf, zc) if half == 'upper' else (zc, np.inf)


def slab_edges(bounds):
    """'b1,b2,...' (inner boundaries, LPS mm, ascending) -> [(zlo, zhi), ...] covering every z."""
    b = [float(v) for v in bounds.split(',')]
    if b != sorted(b):
        raise ValueError(f'slab boundaries not ascending: {bounds}')
    edges = [-np.inf] + b + [np.inf]
    return list(zip(edges[:-1], edges[1:]))
