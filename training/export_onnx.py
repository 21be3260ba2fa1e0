"""Exports the trained networks to ONNX opset 17 with the names of models/manifest.schema.md,
and writes a fixed reference input with PyTorch's outputs for verify_onnx.mjs.

  /usr/bin/python3 training/export_onnx.py
"""
import json
import os

import numpy as np
import torch

from common import CUBE, MODELS, PATCH, RUNS
from models import Characterizer, Detector

torch.set_num_threads(2)
CHECK = os.path.join(RUNS, 'onnx-check')


def reference_input(shape, seed):
    """Deterministic input: smooth blobs plus noise, in [0, 1] like real scaled HU."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(shape, generator=g) * 0.2 + 0.05
    n, _, z, y, xx = shape
    zz, yy, xg = torch.meshgrid(torch.arange(z), torch.arange(y), torch.arange(xx), indexing='ij')
    for b in range(n):
        c = torch.rand(3, generator=g) * torch.tensor([z, y, xx])
        r = 3 + 6 * torch.rand(1, generator=g)
        blob = ((zz - c[0]) ** 2 + (yy - c[1]) ** 2 + (xg - c[2]) ** 2) <= r ** 2
        x[b, 0][blob] = 0.75
    return x


def save(name, t):
    a = t.detach().numpy().astype('<f4')
    a.tofile(os.path.join(CHECK, name + '.f32'))
    return list(a.shape)


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument('--runs', default=RUNS, help='folder with detector.pt (v1 pipeline)')
    ap.add_argument('--char', default=os.path.join(RUNS, 'char', 'final', 'model.pt'),
                    help='characterizer v2 weights (training/train_char.py); runs/char/a+b/model.pt = ensemble of runs a and b')
    ap.add_argument('--det', default=None, help='detector weights (default <runs>/detector.pt; v2: runs/det/<name>/detector.pt)')
    ap.add_argument('--models', default=MODELS, help='folder the ONNX files go to (default models/)')
    ap.add_argument('--only', choices=['det', 'char', 'fusion'], default=None,
                    help='export one network; the other ONNX files in models/ are left as they are. fusion: the '
                         '--det weights as the score-fusion U-Net, fusion-detector.onnx (src/core/inference/score-fusion.ts)')
    a = ap.parse_args()
    os.makedirs(CHECK, exist_ok=True)
    os.makedirs(a.models, exist_ok=True)
    spec = {}
    if a.only in (None, 'det', 'fusion'):
        if a.only == 'fusion' and not a.det:
            raise SystemExit('--only fusion needs --det <weights>')
        key, file, tag = ('fusionDetector', 'fusion-detector.onnx', 'fdet') if a.only == 'fusion' else ('detector', 'detector.onnx', 'det')
        det = Detector()
        state = torch.load(a.det or os.path.join(a.runs, 'detector.pt'))
        det.load_state_dict(state.get('net', state))  # a train_det.py checkpoint holds {'net', 'opt', 'step'}
        det.eval()
        x = reference_input((2, 1, PATCH, PATCH, PATCH), 17)
        torch.onnx.export(det, x, os.path.join(a.models, file), input_names=['ct'], output_names=['prob'],
                          dynamic_axes={'ct': {0: 'N'}, 'prob': {0: 'N'}}, opset_version=17, do_constant_folding=True)
        with torch.no_grad():
            prob = det(x)
        spec[key] = {'file': file, 'inputs': {'ct': save(f'{tag}_ct', x)}, 'outputs': {'prob': save(f'{tag}_prob', prob)}}
    if a.only in (None, 'char'):
        # Characterizer v2 (model contract v2): input `cubes` [N, 2, 32, 32, 32].
        from cv_report import load_net
        from models import CharacterizerEnsemble
        char = load_net(a.char)  # runs/char/a+b/model.pt names an ensemble of runs a and b
        # Temperature scaling fitted on the calibration series (cv_report.py): the p_nodule logit
        # divided by T, so the app's p_nodule is the calibrated one and the threshold applies as is.
        cv = os.path.join(RUNS, 'cv_report.json')
        t = json.load(open(cv))['operatingPoint'].get('temperature', 1.0) if os.path.exists(cv) else 1.0
        if isinstance(char, CharacterizerEnsemble):
            char.temperature = float(t)
        else:
            with torch.no_grad():
                char.head_nodule.weight /= t
                char.head_nodule.bias /= t
        print(f'characterizer p_nodule temperature {t}')
        c = torch.cat([reference_input((3, 1, CUBE, CUBE, CUBE), 23), reference_input((3, 1, CUBE, CUBE, CUBE), 29)], 1)
        torch.onnx.export(char, c, os.path.join(a.models, 'characterizer.onnx'), input_names=['cubes'],
                          output_names=['p_nodule', 'p_type', 'p_spiculated'],
                          dynamic_axes={'cubes': {0: 'N'}, 'p_nodule': {0: 'N'}, 'p_type': {0: 'N'}, 'p_spiculated': {0: 'N'}},
                          opset_version=17, do_constant_folding=True)
        with torch.no_grad():
            pn, pt, ps = char(c)
        spec['characterizer'] = {'file': 'characterizer.onnx', 'inputs': {'cubes': save('char_cubes', c)},
                                 'outputs': {'p_nodule': save('char_p_nodule', pn), 'p_type': save('char_p_type', pt),
                                             'p_spiculated': save('char_p_spiculated', ps)}}
    json.dump(spec, open(os.path.join(CHECK, 'spec.json'), 'w'), indent=2)
    for v in spec.values():
        print(v['file'], os.path.getsize(os.path.join(a.models, v['file'])), 'bytes')


if __name__ == '__main__':
    main()
