#!/usr/bin/env python3
"""The shipped characterizer's members back from models/characterizer.onnx, as train_char.py runs.

A machine without the shipped members' weights (runs/ is git-ignored and lost with its machine)
can retrain them from the scripts, but on another CPU the 3,000 steps drift apart (session 27: the
same recipe and seeds on an AVX-512 machine, p_nodule up to 0.10 away from the shipped graph's).
The exported graph holds every member's parameters: the biases, norms and heads under their
PyTorch names (members.<m>.<param>), the 1-wide token convolutions' weights as anonymous Conv
initializers, in each member's forward order. This rebuilds each member's state dict, writes
runs/char/<name>/model.pt plus a train.json naming its architecture, and checks the rebuilt
ensemble against onnxruntime's own output (scores written by training/score_onnx_cubes.mjs) when
--check is given. Member names come from the manifest (evaluation.heldOutTest.model: 'a+b+...').

  /usr/bin/python3 training/onnx_members.py [--prefix ship] [--check training/runs/onnx-cubes]
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

try:  # Debian's python3-onnx (scripts/system-packages.txt since session 46).
    import onnx
    from onnx import numpy_helper
except ImportError:
    raise SystemExit('onnx_members.py needs the onnx Python package: apt-get install python3-onnx')

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import MODELS, RUNS  # noqa: E402
from models import CharacterizerEnsemble  # noqa: E402
from train_char import make_net  # noqa: E402

# The anonymous initializers of one ray member, in forward order (models.RayCharacterizer).
TOKEN_LINEARS = ['embed', 'dir_embed', 'centre_embed'] + [
    f'layers.{i}.{p}' for i in range(2) for p in ('qkv', 'proj', 'mlp.0', 'mlp.2')]


def member_states(path):
    m = onnx.load(path)
    init = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in m.graph.initializer}
    anon = []
    for node in m.graph.node:
        for x in node.input:
            if x in init and x.startswith('onnx::') and x not in anon:
                anon.append(x)
    named = [k for k in init if k.startswith('members.')]
    count = 1 + max(int(k.split('.')[1]) for k in named)
    if len(anon) != count * len(TOKEN_LINEARS):
        raise SystemExit(f'{path}: {len(anon)} anonymous weights for {count} members, want {len(TOKEN_LINEARS)} each')
    states = []
    for j in range(count):
        sd = {k[len(f'members.{j}.'):]: v for k, v in init.items() if k.startswith(f'members.{j}.')}
        for name, x in zip(TOKEN_LINEARS, anon[j * len(TOKEN_LINEARS):(j + 1) * len(TOKEN_LINEARS)]):
            sd[f'{name}.weight'] = init[x].reshape(init[x].shape[0], -1)  # Conv [out, in, 1] -> Linear [out, in]
        states.append(sd)
    return states


def member_nets(path, arch='ray', names=None):
    """The graph's members as eval-mode networks of `arch` (names label errors: member <name>)."""
    nets = []
    for j, sd in enumerate(member_states(path)):
        net = make_net(arch)
        missing = set(net.state_dict()) ^ set(sd)
        if missing:
            name = names[j] if names else j
            raise SystemExit(f'member {name}: parameters do not match the {arch} architecture: {sorted(missing)[:5]}')
        net.load_state_dict(sd)
        net.eval()
        nets.append(net)
    return nets


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--onnx', default=os.path.join(MODELS, 'characterizer.onnx'))
    ap.add_argument('--prefix', default='ship', help='run names: <prefix>-<member name without its recipe prefix>')
    ap.add_argument('--arch', default='ray')
    ap.add_argument('--check', default=None, help='folder with cubes.f32 and p_nodule.f32 (score_onnx_cubes.mjs)')
    a = ap.parse_args()
    manifest = json.load(open(os.path.join(MODELS, 'manifest.json')))
    names = manifest['models']['characterizer']['evaluation']['heldOutTest']['model'].split('+')
    nets = member_nets(a.onnx, a.arch, names)
    if len(names) != len(nets):
        raise SystemExit(f'the manifest names {names}, the graph holds {len(nets)} members')
    for name, net in zip(names, nets):
        run = os.path.join(RUNS, 'char', f"{a.prefix}-{name.split('-', 1)[1]}")
        os.makedirs(run, exist_ok=True)
        torch.save(net.state_dict(), os.path.join(run, 'model.pt'))
        json.dump({'args': {'arch': a.arch}, 'from': os.path.relpath(a.onnx), 'member': name}, open(os.path.join(run, 'train.json'), 'w'), indent=1)
        print(f'{name} -> {run}')
    if a.check:
        cubes = np.fromfile(os.path.join(a.check, 'cubes.f32'), dtype='<f4').reshape(-1, 2, 32, 32, 32)
        want = np.fromfile(os.path.join(a.check, 'p_nodule.f32'), dtype='<f4')
        with torch.no_grad():
            got = torch.sigmoid(CharacterizerEnsemble(nets).logits(torch.from_numpy(cubes))[0]).numpy().ravel()
        diff = float(np.abs(got - want).max())
        print(f'rebuilt ensemble against onnxruntime on {len(want)} cubes: max |p_nodule difference| {diff:.2e}')
        if diff > 1e-4:
            raise SystemExit('the rebuilt members do not reproduce the graph')


if __name__ == '__main__':
    main()
