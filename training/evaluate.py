"""Held-out synthetic evaluation of the trained networks (PyTorch weights in training/runs/; the
ONNX export is checked separately to match them within 1e-4 by verify_onnx.mjs).

Per-nodule sensitivity at 1/8..8 false positives per scan with the LUNA16 hit rule (a candidate
hits a nodule when its centre is within the nodule's radius; several hits on one nodule count
once and are not false positives), and the CPM (mean of the seven). Evaluated on synthetic
phantoms from seeds 9000-9005, which training never sees.

  /usr/bin/python3 training/evaluate.py
"""
import argparse
import json
import os
import time

import numpy as np
import torch

from common import DATA, RUNS, TYPE_ORDER, list_synthetic, load_synthetic, lung_mask
from infer import candidates, characterize, probability_map
from models import Characterizer, Detector

torch.set_num_threads(2)
FP_RATES = [0.125, 0.25, 0.5, 1, 2, 4, 8]


def froc(scans, key):
    """scans: list of (nodules [(centre_zyx, diameter)], candidates [dict with 'p', score key])."""
    events = []  # (score, scan, candidate)
    n_nod = sum(len(n) for n, _ in scans)
    for s, (nods, cands) in enumerate(scans):
        for c in cands:
            hits = [i for i, (cz, d) in enumerate(nods) if np.linalg.norm(np.array(c['zyx']) - np.array(cz)) <= d / 2]
            events.append((c[key], s, hits))
    events.sort(key=lambda e: -e[0])
    found, fps, curve = set(), 0, []
    for score, s, hits in events:
        if hits:
            found.update((s, h) for h in hits)
        else:
            fps += 1
        curve.append((fps / len(scans), len(found) / max(n_nod, 1), score))
    sens = {}
    for r in FP_RATES:
        ok = [sv for fp, sv, _ in curve if fp <= r]
        sens[str(r)] = round(max(ok) if ok else 0.0, 4)
    return {'sensitivity': sens, 'cpm': round(float(np.mean(list(sens.values()))), 4), 'nodules': n_nod, 'scans': len(scans),
            'max_sensitivity': round(curve[-1][1] if curve else 0.0, 4), 'fp_per_scan_at_max': round(curve[-1][0] if curve else 0.0, 2)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default=os.path.join(DATA, 'eval'))
    ap.add_argument('--stride', type=int, default=48)
    ap.add_argument('--threshold', type=float, default=0.05)
    ap.add_argument('--runs', default=RUNS, help='folder with detector.pt and characterizer.pt')
    ap.add_argument('--max-scans', type=int, default=10**6, help='smoke tests only')
    ap.add_argument('--out', default=os.path.join(RUNS, 'evaluation.json'))
    a = ap.parse_args()
    det = Detector()
    det.load_state_dict(torch.load(os.path.join(a.runs, 'detector.pt')))
    det.eval()
    char = Characterizer()
    char.load_state_dict(torch.load(os.path.join(a.runs, 'characterizer.pt')))
    char.eval()
    scans, per_nodule, t0 = [], [], time.time()
    bases = list_synthetic(a.data)[: a.max_scans]
    for base in bases:
        vol, origin, meta = load_synthetic(base)
        mask = lung_mask(vol)
        t1 = time.time()
        prob, windows = probability_map(det, vol, mask, stride=a.stride)
        print(f'  probability map {time.time() - t1:.0f}s', flush=True)
        cands = candidates(prob, a.threshold)
        chars = characterize(char, vol, [p for p, _ in cands])
        cl = [{'zyx': p.tolist(), 'p': pr, 'p_nodule': ch[0], 'combined': pr * ch[0], 'p_type': ch[1], 'p_spiculated': ch[2]}
              for (p, pr), ch in zip(cands, chars)]
        nods = [((n['vox1mm'][2], n['vox1mm'][1], n['vox1mm'][0]), n['diameterMm']) for n in meta['nodules']]
        scans.append((nods, cl))
        for n, (cz, d) in zip(meta['nodules'], nods):
            hits = [c for c in cl if np.linalg.norm(np.array(c['zyx']) - np.array(cz)) <= d / 2]
            best = max(hits, key=lambda c: c['p']) if hits else None
            per_nodule.append({'seed': meta['seed'], 'id': n['id'], 'diameterMm': d, 'type': n['type'], 'location': n['location'],
                               'spiculated': n['spiculated'], 'hit': best is not None,
                               'p': best['p'] if best else 0.0, 'p_nodule': best['p_nodule'] if best else None,
                               'type_pred': TYPE_ORDER[int(np.argmax(best['p_type']))] if best else None,
                               'spic_pred': (best['p_spiculated'] > 0.5) if best else None})
        print(f'{os.path.basename(base)}: {windows} windows, {len(cl)} candidates, '
              f'{sum(1 for q in per_nodule if q["seed"] == meta["seed"] and q["hit"])}/{len(nods)} nodules hit, {time.time() - t0:.0f}s', flush=True)
    hit = [q for q in per_nodule if q['hit']]
    breakdown = {}
    for field in ('type', 'location'):
        for v in sorted({q[field] for q in per_nodule}):
            sel = [q for q in per_nodule if q[field] == v]
            breakdown[f'{field}={v}'] = {'nodules': len(sel), 'hit_at_threshold': round(sum(q['hit'] for q in sel) / len(sel), 4)}
    for lo, hi in ((3, 6), (6, 10), (10, 20), (20, 31)):
        sel = [q for q in per_nodule if lo <= q['diameterMm'] < hi]
        if sel:
            breakdown[f'diameter={lo}-{hi}mm'] = {'nodules': len(sel), 'hit_at_threshold': round(sum(q['hit'] for q in sel) / len(sel), 4)}
    result = {
        'measuredBy': 'training/evaluate.py on synthetic held-out seeds',
        'heldOutSeeds': [json.load(open(b + '.json'))['seed'] for b in bases],
        'hitRule': 'LUNA16: candidate centre within nodule radius; repeated hits count once',
        'candidateThreshold': a.threshold,
        'slidingWindow': {'patch': 64, 'stride': a.stride, 'blend': 'gaussian sigma 0.25*patch'},
        'detector': froc(scans, 'p'),
        'detectorTimesCharacterizer': froc(scans, 'combined'),
        'breakdown': breakdown,
        'characterizerOnDetectedNodules': {
            'nodules': len(hit),
            'typeAccuracy': round(sum(q['type_pred'] == q['type'] for q in hit) / max(len(hit), 1), 4),
            'spiculationAccuracy': round(sum(q['spic_pred'] == q['spiculated'] for q in hit) / max(len(hit), 1), 4),
            'meanPNodule': round(float(np.mean([q['p_nodule'] for q in hit])) if hit else 0.0, 4),
        },
        'seconds': round(time.time() - t0),
    }
    json.dump(result, open(a.out, 'w'), indent=2)
    json.dump(per_nodule, open(a.out.replace('.json', '-nodules.json'), 'w'), indent=1)
    print(json.dumps(result, indent=2))


if __name__ == '__main__':
    main()
