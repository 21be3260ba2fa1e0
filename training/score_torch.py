#!/usr/bin/env python3
"""Scores mined cubes with a trained characterizer (or a '+'-joined ensemble of runs) in PyTorch on
the float32 cubes, as training/score_onnx.mjs does with an ONNX file, so a model can be compared
with the shipped one on the same series by training/froc_scored.py before it is exported.
p_nodule = sigmoid(logit / T) in float32, as the exported graph computes it (T from select_char.py's
runs/selection.json for that variant; it matters only through ties where float32 saturates at 1).

  /usr/bin/python3 training/score_torch.py <run or a+b+...> <tag> <mined prefix>...  -> <prefix>.<tag>.f32
"""
import json
import os
import sys

import numpy as np

from char_data import load_mined
from common import RUNS
from cv_report import load_net
from train_char import score


def main(run, tag, prefixes):
    net = load_net(os.path.join(RUNS, 'char', run, 'model.pt'))
    sel = json.load(open(os.path.join(RUNS, 'selection.json')))
    t = float(sel[run]['temperature']) if run in sel else 1.0
    print(f'{run}: temperature {t}', flush=True)
    for p in prefixes:
        logits = np.asarray(score(net, load_mined(p)[1], logits=True), dtype=np.float32) / np.float32(t)
        prob = (np.float32(1) / (np.float32(1) + np.exp(-logits))).astype('<f4')
        prob.tofile(f'{p}.{tag}.f32')
        print(f'{p}: {len(prob)} candidates scored ({tag})', flush=True)


if __name__ == '__main__':
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
