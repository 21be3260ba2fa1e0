"""Cross-validation over the two real backgrounds and the operating threshold, from the fold models
of train_char.py, plus the checks on the real scans with the final model. Writes
runs/cv_report.json (read by write_manifest.py) and models/learning-curves.png.

  /usr/bin/python3 training/cv_report.py

Folds: cv-0001 trained on LIDC-IDRI-0001 (its inserted series and its own candidates as
negatives), validated on LIDC-IDRI-0002's inserted series; cv-0002 the other way round. Each
validation series counts as one scan. The operating threshold is chosen on the pooled validation
folds (criterion below) and never reported as a held-out figure on those same folds: the
sensitivity "at the operating threshold" per fold uses the threshold chosen on the OTHER fold.
"""
import json
import math
import os

import numpy as np
import torch

from common import MODELS, RUNS
from png import write_png
from train_char import froc, load_backgrounds, make_net, score

torch.set_num_threads(1)
FOLDS = {'cv-0001': ('LIDC-IDRI-0001', 'LIDC-IDRI-0002'), 'cv-0002': ('LIDC-IDRI-0002', 'LIDC-IDRI-0001')}
RATES = (0.125, 0.25, 0.5, 1, 2, 4, 8)
BANDS = [(3, 6), (6, 10), (10, 20), (20, 30.01)]
TARGET_FP = 1.0


def load_net(path):
    arch = json.load(open(os.path.join(os.path.dirname(path), 'train.json')))['args'].get('arch', 'cnn')
    net = make_net(arch)
    net.load_state_dict(torch.load(path))
    net.eval()
    return net


def nodule_table(series, scores):
    """One row per inserted nodule: best hitting score (-1 when no candidate hit it)."""
    rows = []
    for s, sc in zip(series, scores):
        best = np.full(len(s.inserted), -1.0)
        for q in np.flatnonzero(s.labels == 1):
            best[s.hit[q]] = max(best[s.hit[q]], sc[q])
        for n, b in zip(s.inserted, best):
            rows.append({**n, 'series': s.name, 'score': float(b)})
    return rows


def fp_scores(series, scores):
    return np.concatenate([sc[s.labels == 0] for s, sc in zip(series, scores)])


def threshold_for(fp, n_scans, rate=TARGET_FP):
    """Lowest threshold with at most rate FP/scan: just above the (floor(rate*scans)+1)-th highest
    false-positive score."""
    fp = np.sort(fp)[::-1]
    allowed = int(math.floor(rate * n_scans + 1e-9))
    return float(min(0.999, np.nextafter(fp[allowed], 1))) if allowed < len(fp) else 0.01


def sens_at(rows, fp, n_scans, rate):
    if not rows:
        return None
    thr = threshold_for(fp, n_scans, rate)
    return float(np.mean([r['score'] >= thr for r in rows]))


def froc_rows(rows, fp, n_scans):
    sens = {f'{r:g}': sens_at(rows, fp, n_scans, r) for r in RATES}
    return sens, float(np.mean(list(sens.values())))


def bootstrap_cpm(rows, fp_by_scan, reps=1000, seed=0):
    """95 % CI of the CPM: resampling scans (with their false positives) and nodules."""
    rng = np.random.default_rng(seed)
    n_scans = len(fp_by_scan)
    cpms = []
    for _ in range(reps):
        scans = rng.integers(0, n_scans, n_scans)
        fp = np.concatenate([fp_by_scan[i] for i in scans])
        rr = [rows[i] for i in rng.integers(0, len(rows), len(rows))]
        cpms.append(froc_rows(rr, fp, n_scans)[1])
    return [float(np.percentile(cpms, 2.5)), float(np.percentile(cpms, 97.5))]


def breakdown(rows, fp, n_scans, thr):
    out = {}
    groups = {f'diameter {lo}-{int(hi)} mm': [r for r in rows if lo <= r['diameterMm'] < hi] for lo, hi in BANDS}
    groups['diameter >= 6 mm'] = [r for r in rows if r['diameterMm'] >= 6]
    for t in ('solid', 'part-solid', 'ground-glass'):
        groups[f'type {t}'] = [r for r in rows if r['type'] == t]
    for a in ('free', 'juxtavascular', 'juxtapleural'):
        groups[f'location {a}'] = [r for r in rows if r['attachment'] == a]
    for k, g in groups.items():
        if g:
            out[k] = {'nodules': len(g), 'sensAt1FpPerScan': sens_at(g, fp, n_scans, 1),
                      'sensAt2FpPerScan': sens_at(g, fp, n_scans, 2),
                      'sensAtOperatingThreshold': float(np.mean([r['score'] >= thr for r in g])),
                      'candidateFound': float(np.mean([r['score'] >= 0 for r in g]))}
    return out


def real_scan_check(net, s, thr):
    """Findings at the threshold on an original scan; LUNA16 nodules' rank among the candidates."""
    sc = score(net, s.cubes)
    order = np.argsort(-sc)
    from char_data import luna_marks
    nodules = [(p, r) for p, r, kind in luna_marks(s.source_uid) if kind == 'nodule']
    world = np.array([c['world'] for c in s.meta['candidates']]).reshape(-1, 3)
    res = {'candidates': int(len(sc)), 'findingsAtThreshold': int((sc >= thr).sum()),
           'falsePositivesAtThreshold': int(((sc >= thr) & (s.labels == 0)).sum()),
           'ignoredNearLunaMarksAtThreshold': int(((sc >= thr) & (s.labels == -1)).sum()), 'realNodules': []}
    for p, r in nodules:
        d = np.linalg.norm(world - p, axis=1)
        hits = np.flatnonzero(d <= r)
        if len(hits) == 0:
            res['realNodules'].append({'worldLps': p.round(2).tolist(), 'diameterMm': round(2 * r, 1), 'candidate': False})
            continue
        best = hits[np.argmax(sc[hits])]
        rank = int(np.flatnonzero(order == best)[0]) + 1
        res['realNodules'].append({'worldLps': p.round(2).tolist(), 'diameterMm': round(2 * r, 1), 'candidate': True,
                                   'pNodule': float(sc[best]), 'rankAmongCandidates': rank,
                                   'findingAtThreshold': bool(sc[best] >= thr), 'isFindingNumber1': rank == 1 and sc[best] >= thr})
    return res


def plot_curves(curves, path):
    """Learning curves (train loss EMA and validation CPM vs step) as a small PNG, no matplotlib."""
    W, H, pad = 900, 420, 50
    img = np.full((H, W, 3), 255, np.uint8)
    colours = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189)]
    panels = [('trainLossEma', 0, W // 2), ('valCpm', W // 2, W)]
    max_step = max((c[-1]['step'] for c in curves.values() if c), default=1)
    for key, x0, x1 in panels:
        vals = [r[key] for c in curves.values() for r in c if key in r]
        if not vals:
            continue
        lo, hi = (0.0, 1.0) if key == 'valCpm' else (0.0, max(vals) * 1.05)
        img[pad:H - pad, x0 + pad] = 0
        img[H - pad, x0 + pad:x1 - 10] = 0
        for t in np.linspace(0, 1, 5):  # grid
            y = int(H - pad - t * (H - 2 * pad))
            img[y, x0 + pad:x1 - 10:4] = 180
        for ci, (name, c) in enumerate(curves.items()):
            pts = [(r['step'], r[key]) for r in c if key in r]
            col = colours[ci % len(colours)]
            for (sa, va), (sb, vb) in zip(pts, pts[1:]):
                for t in np.linspace(0, 1, 60):
                    s = sa + t * (sb - sa)
                    v = va + t * (vb - va)
                    x = int(x0 + pad + s / max_step * (x1 - x0 - pad - 20))
                    y = int(H - pad - (v - lo) / (hi - lo + 1e-9) * (H - 2 * pad))
                    img[max(0, y - 1):y + 2, max(0, x - 1):x + 2] = col
            # legend swatch
            img[10 + ci * 12:18 + ci * 12, x0 + pad + 10:x0 + pad + 40] = col
    write_png(path, img)


def main():
    fold_data = {}
    for fold, (train_bg, val_bg) in FOLDS.items():
        path = os.path.join(RUNS, 'char', fold, 'model.pt')
        if not os.path.exists(path):
            raise SystemExit(f'{path} missing: run train_char.py --name {fold}')
        net = load_net(path)
        series = load_backgrounds([val_bg])
        inserted = [s for s in series if s.inserted]
        original = [s for s in series if not s.inserted]
        scores = [score(net, s.cubes) for s in inserted]
        fold_data[fold] = {'net': net, 'val': inserted, 'scores': scores, 'original': original, 'valBackground': val_bg,
                           'trainBackground': train_bg, 'rows': nodule_table(inserted, scores),
                           'fpByScan': [sc[s.labels == 0] for s, sc in zip(inserted, scores)]}
    # Operating threshold per fold (for the other fold's report) and pooled (shipped).
    for f in fold_data.values():
        f['thr'] = threshold_for(np.concatenate(f['fpByScan']), len(f['val']))
    rows = [r for f in fold_data.values() for r in f['rows']]
    fp_by_scan = [x for f in fold_data.values() for x in f['fpByScan']]
    fp = np.concatenate(fp_by_scan)
    n_scans = len(fp_by_scan)
    shipped_thr = threshold_for(fp, n_scans)
    sens, cpm = froc_rows(rows, fp, n_scans)
    report = {
        'folds': {}, 'pooled': {
            'scans': n_scans, 'nodules': len(rows), 'sensitivity': sens, 'cpm': cpm, 'cpmCI95': bootstrap_cpm(rows, fp_by_scan),
            'candidateSensitivity': float(np.mean([r['score'] >= 0 for r in rows])),
            'breakdown': breakdown(rows, fp, n_scans, shipped_thr),
        },
        'operatingPoint': {
            'threshold': round(shipped_thr, 4),
            'chosenOn': 'cross-validation folds over the real backgrounds: fold models scored on the inserted series of the '
                        'background they were not trained on (LIDC-IDRI-0001 and LIDC-IDRI-0002 insertions, '
                        f'{n_scans} series)',
            'criterion': f'lowest p_nodule threshold with at most {TARGET_FP:g} false positive per scan on the pooled '
                         'validation folds (false positive = candidate farther than 1.5 radii from every inserted '
                         'nodule and away from every LUNA16 mark)',
        },
    }
    other = {'cv-0001': 'cv-0002', 'cv-0002': 'cv-0001'}
    for name, f in fold_data.items():
        fpf = np.concatenate(f['fpByScan'])
        s_f, c_f = froc_rows(f['rows'], fpf, len(f['val']))
        thr_other = fold_data[other[name]]['thr']
        fold_rep = {
            'trainedOn': f['trainBackground'], 'validatedOn': f['valBackground'], 'scans': len(f['val']),
            'nodules': len(f['rows']), 'sensitivity': s_f, 'cpm': c_f, 'cpmCI95': bootstrap_cpm(f['rows'], f['fpByScan']),
            'thresholdAt1FpPerScanOnThisFold': round(f['thr'], 4),
            'atThresholdFromOtherFold': {
                'threshold': round(thr_other, 4),
                'sensitivity': float(np.mean([r['score'] >= thr_other for r in f['rows']])),
                'fpPerScan': float((fpf >= thr_other).sum() / len(f['val'])),
            },
            'breakdown': breakdown(f['rows'], fpf, len(f['val']), thr_other),
        }
        # Held-out real scan: the original scan of the validation background, scored by a model that never saw it.
        for s in f['original']:
            fold_rep['heldOutRealScan'] = {'scan': s.name, 'atShippedThreshold': real_scan_check(f['net'], s, shipped_thr)}
        report['folds'][name] = fold_rep
    # Final model (trained on both backgrounds) on the real scans, at the shipped threshold.
    final_path = os.path.join(RUNS, 'char', 'final', 'model.pt')
    if os.path.exists(final_path):
        net = load_net(final_path)
        report['finalOnRealScans'] = {}
        for s in load_backgrounds(['LIDC-IDRI-0001', 'LIDC-IDRI-0002']):
            if not s.inserted:
                report['finalOnRealScans'][s.name] = real_scan_check(net, s, shipped_thr)
    curves = {}
    for name in ('cv-0001', 'cv-0002', 'final'):
        p = os.path.join(RUNS, 'char', name, 'curve.jsonl')
        if os.path.exists(p):
            curves[name] = [json.loads(l) for l in open(p)]
    plot_curves(curves, os.path.join(MODELS, 'learning-curves.png'))
    report['learningCurves'] = {k: v for k, v in curves.items()}
    json.dump(report, open(os.path.join(RUNS, 'cv_report.json'), 'w'), indent=2)
    print(json.dumps({k: report[k] for k in ('pooled', 'operatingPoint')}, indent=1)[:3000])
    print(json.dumps(report.get('finalOnRealScans'), indent=1))


if __name__ == '__main__':
    main()
