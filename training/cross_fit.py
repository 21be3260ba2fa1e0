"""The characterizer that learns the validation background's own real negatives, and how it is
measured without ever scoring a candidate with a model that trained on it (session 12).

Two ensembles train on LIDC-IDRI-0002 as before plus the real candidates of LIDC-IDRI-0001 (the
scan and its real 5 mm and sharp-kernel copies, nothing inserted) from one side of the plane
z = zc only (`train_char.py --real-negatives LIDC-IDRI-0001:upper|lower:zc`). The app ships the
mean of all their members; on LIDC-IDRI-0001 every candidate is scored by the ensemble that never
saw its side (cross-fitting), so thresholds and figures stay measured on unseen ground.
"""
import os

import numpy as np

from char_data import candidate_z, in_slab, slab_edges
from common import RUNS


def folds_of(split):
    """A split spec -> [(zlo, zhi, members)]: the '+'-joined members that never saw the slab
    zlo < z <= zhi. Halves (session 12): {'zc', 'upper', 'lower'} (the upper members learned z > zc,
    so they score z <= zc); slabs (session 15): {'bounds': 'b1,b2,...', 'slabs': [members of slab 0,
    ...]} (the members of slab k learned everything outside it)."""
    if 'bounds' in split:
        edges = slab_edges(split['bounds'])
        if len(edges) != len(split['slabs']):
            raise ValueError(f"{len(edges)} slabs but {len(split['slabs'])} member sets")
        return [(lo, hi, m) for (lo, hi), m in zip(edges, split['slabs'])]
    zc = float(split['zc'])
    return [(-np.inf, zc, split['upper']), (zc, np.inf, split['lower'])]


class CrossFitted:
    def __init__(self, split, load_net, exact_logits):
        nets = lambda spec: [load_net(os.path.join(RUNS, 'char', m, 'model.pt')) for m in spec.split('+')]
        self.split = split
        self._folds = [(lo, hi, spec, nets(spec)) for lo, hi, spec in folds_of(split)]
        self._exact = exact_logits

    @property
    def members(self):
        """The '+'-joined run folders of the shipped ensemble (every member of every fold)."""
        return '+'.join(spec for _, _, spec, _ in self._folds)

    def app_logits(self, s):
        """Logits as the app computes them on any series: the mean over all members."""
        return np.mean([self._exact(n, s) for *_, nets in self._folds for n in nets], axis=0)

    def series_logits(self, s):
        """Logits on the series' float32 cubes: each candidate scored by the members that never
        learned the slab it lies in."""
        z = candidate_z(s)
        out = np.full(len(z), np.nan)
        for lo, hi, _, nets in self._folds:
            at = in_slab(z, lo, hi)
            if at.any():
                out[at] = np.mean([self._exact(n, s) for n in nets], axis=0)[at]
        return out
