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

from char_data import candidate_z, on_half
from common import RUNS


class CrossFitted:
    def __init__(self, zc, upper, lower, load_net, exact_logits):
        nets = lambda spec: [load_net(os.path.join(RUNS, 'char', m, 'model.pt')) for m in spec.split('+')]
        self.zc, self.upper, self.lower = zc, upper, lower
        self._up, self._lo = nets(upper), nets(lower)
        self._exact = exact_logits

    @property
    def members(self):
        """The '+'-joined run folders of the shipped ensemble (all members of both sides)."""
        return f'{self.upper}+{self.lower}'

    def app_logits(self, s):
        """Logits as the app computes them on any series: the mean over all members."""
        return np.mean([self._exact(n, s) for n in self._up + self._lo], axis=0)

    def series_logits(self, s):
        """Logits on the series' float32 cubes: the ensemble trained on the upper side's negatives
        scores the lower side, and vice versa."""
        mean = lambda nets: np.mean([self._exact(n, s) for n in nets], axis=0)
        return np.where(on_half(candidate_z(s), 'lower', self.zc), mean(self._up), mean(self._lo))
