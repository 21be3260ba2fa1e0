"""The characterizer that learns the validation background's own real negatives, and how it is
measured without ever scoring a candidate with a model that trained on it (session 12).

Two ensembles train on LIDC-IDRI-0002 as before plus the real candidates of LIDC-IDRI-0001 (the
scan and its real 5 mm and sharp-kernel copies, nothing inserted) from one side of the plane
z = zc only (`train_char.py --real-negatives LIDC-IDRI-0001:upper|lower:zc`). The app ships the
mean of all their members; on LIDC-IDRI-0001 every candidate is scored by the ensemble that never
saw its side (cross-fitting), so thresholds and figures stay measured on unseen ground.
Session 15: the same over K cranio-caudal slabs (`--real-negatives LIDC-IDRI-0001:slab:k:b1,...`):
the members of slab k learned everything outside it and score the candidates inside it.
"""
import os

import numpy as np

from char_data import SPLIT_GUARD_MM, candidate_z, half_edges, in_slab, slab_edges
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
    return [(*half_edges(h, zc), split[h]) for h in ('upper', 'lower')]


def _mm(z):
    return f'{z:g} mm'


def describe_split(split):
    """Which real negatives each member set learned, in words (reports, model card)."""
    if 'bounds' in split:
        parts = []
        for lo, hi, m in folds_of(split):
            where = (f'z <= {_mm(hi)}' if lo == -np.inf else f'z > {_mm(lo)}' if hi == np.inf else f'{lo:g} < z <= {_mm(hi)}')
            parts.append(f'{m} all but {where}')
        return (f"each member set learned them outside one of {len(parts)} cranio-caudal slabs ({SPLIT_GUARD_MM:g} mm guard bands): "
                + '; '.join(parts))
    return (f"the members {split['upper']} learned them above z = {float(split['zc']):g} mm only, {split['lower']} below "
            f"only ({SPLIT_GUARD_MM:g} mm guard band)")


def part_word(split):
    """What one fold leaves out: a side (halves) or a slab."""
    return 'slab' if 'bounds' in split else 'side'


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
