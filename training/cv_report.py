"""Cross-validation over the two real backgrounds and the operating threshold, from the fold models
of train_char.py, plus the checks on the real scans with the final model. Writes
runs/cv_report.json (read by write_manifest.py), training/v2-validation.md and
training/v2-learning-curves.png.

  /usr/bin/python3 training/cv_report.py

Folds: cv-0001 trained on LIDC-IDRI-0001 (its inserted series and its own candidates as
negatives), validated on LIDC-IDRI-0002's inserted series; cv-0002 the other way round. Each
validation series counts as one scan. The operating threshold is chosen on the pooled validation
folds (criterion below) and never reported as a held-out figure on those same folds: the
sensitivity "at the operating threshold" per fold uses the threshold chosen on the OTHER fold.
"""
import hashlib
import json
import math
import os

import numpy as np
import torch

from common import HERE, MODELS, RUNS, seed_span
from png import write_png
from char_data import load_mined, real_copies
from cross_fit import CrossFitted, describe_split, part_word
from train_char import froc, load_backgrounds, make_net, score

torch.set_num_threads(1)
FOLDS = {'cv-0001': ('LIDC-IDRI-0001', 'LIDC-IDRI-0002'), 'cv-0002': ('LIDC-IDRI-0002', 'LIDC-IDRI-0001')}
RATES = (0.125, 0.25, 0.5, 1, 2, 4, 8)
BANDS = [(3, 6), (6, 10), (10, 20), (20, 30.01)]
TARGET_FP = 1.0
# The app's two finding scores (src/core/inference/manifest.ts): the characterizer alone, or the
# U-Net heatmap peak x p_nodule (blob-only candidates then score 0). The shipped one is the better
# pooled cross-validation CPM: chosen on the validation folds like the threshold.
SCORE_P = 'characterizer p_nodule'
TEMPERATURE = [1.0]  # set in main() from the pooled folds
SCORE_PEAK = 'detector peak x characterizer p_nodule'


def unet_of(s):
    return np.array([c['unetScore'] or 0 for c in s.meta['candidates']], dtype=np.float64)


def finding_score(p, s, mode):
    """The app's finding score, in float32 as the app computes it (ties at 1.0 stay ties), with the
    candidates the app would merge into a stronger finding set to -1 (app_merge)."""
    p = np.asarray(p, dtype=np.float32)
    return app_merge(s, (p * unet_of(s).astype(np.float32) if mode == SCORE_PEAK else p).astype(np.float64))


def app_merge(s, sc):
    """The findings list the app shows: it keeps the strongest of several candidates on one object
    and merges every weaker one whose centre lies within the kept finding's radius, at least 3 mm
    (src/core/inference/pipeline.ts; there the radius is the segmented one, here the candidate's
    stage-1 scale). A merged candidate is neither a false positive nor a hit of its own, so it
    scores -1 (below every threshold). Greedy in score order, so one pass serves every threshold."""
    world = np.array([c['world'] for c in s.meta['candidates']], dtype=np.float64).reshape(-1, 3)
    reach = np.maximum(np.array([c['scaleMm'] for c in s.meta['candidates']], dtype=np.float64) / 2, 3.0)
    out = np.array(sc, dtype=np.float64, copy=True)
    kept = []
    for i in np.argsort(-out, kind='stable'):
        if kept:
            k = np.array(kept)
            if np.any(np.linalg.norm(world[k] - world[i], axis=1) < reach[k]):
                out[i] = -1.0
                continue
        kept.append(i)
    return out


def fit_temperature(logits, labels):
    """Temperature scaling (Guo et al. 2017) on the pooled validation folds: the T minimising the
    binary cross-entropy of sigmoid(logit / T). Balanced training batches make the raw sigmoid
    overconfident (p = 1.0 in float32 for many vessels): T > 1 spreads the scores so a threshold can
    separate them; the ranking, hence every FROC figure, is unchanged by T except for those ties."""
    z = np.concatenate(logits)
    y = np.concatenate(labels)
    keep = y >= 0
    z, y = z[keep], y[keep].astype(np.float64)
    best = (math.inf, 1.0)
    for t in np.exp(np.linspace(0, math.log(100), 400)):
        q = z / t
        nll = float(np.mean(np.logaddexp(0, q) - y * q))
        best = min(best, (nll, float(t)))
    return best[1]


def calibrated(logit, t):
    """p_nodule as the exported model (head divided by T) computes it: float32 sigmoid."""
    return (1 / (1 + np.exp(-(np.asarray(logit, dtype=np.float32) / np.float32(t))))).astype(np.float32)


def load_net(path):
    """One trained characterizer (runs/char/<name>/model.pt), or an ensemble when the run folder
    name joins several with '+' (runs/char/a+b/model.pt: the mean of a's and b's logits)."""
    run = os.path.basename(os.path.dirname(path))
    if '+' in run:
        from models import CharacterizerEnsemble
        root = os.path.dirname(os.path.dirname(path))
        net = CharacterizerEnsemble([load_net(os.path.join(root, r, 'model.pt')) for r in run.split('+')])
        net.eval()
        return net
    args = json.load(open(os.path.join(os.path.dirname(path), 'train.json')))['args']
    net = make_net(args.get('arch', 'cnn'), args.get('ray_shell', 1))
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
    false-positive score. Above 1 when that score is 1.0 itself: no threshold reaches the rate."""
    fp = np.sort(fp)[::-1]
    allowed = int(math.floor(rate * n_scans + 1e-9))
    return float(np.nextafter(np.float32(fp[allowed]), np.float32(2))) if allowed < len(fp) else 0.01


def operating_threshold(fp, n_scans):
    """The manifest's threshold from one calibration set: threshold_for at TARGET_FP, rounded up to
    4 decimals."""
    return math.ceil(threshold_for(fp, n_scans) * 1e4) / 1e4


def thick_slice_offset(fp_thick, n_scans, thr):
    """The smallest logit offset (3 decimals, rounded up) leaving TARGET_FP on the thick-slice
    calibration series at the threshold thr."""
    t_k = min(threshold_for(fp_thick, n_scans), 1 - P_EDGE)
    return math.ceil(max(0.0, p_logit(t_k) - p_logit(thr)) * 1e3) / 1e3


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


def exact_logits(net, s, view=None):
    """Logits on the float32 cubes the app computes. Series keeps its cubes as float16 to halve
    memory; that rounding moves p_nodule by up to ~0.002 (measured against the exported ONNX on
    float32 cubes: 1.5e-6), enough to move a threshold set at one false positive per scan: chosen on
    float16 cubes, the session-6 experiment's threshold gave 2 false positives per scan on its own
    calibration series in the app. So the threshold, and every figure at it, uses these."""
    return score(net, load_mined(s.prefix)[1], logits=True, view=view)


def real_scan_check(logits_of, s, thr, mode=SCORE_P, temperature=None, offset=0.0):
    """Findings at the threshold on an original scan, scored by logits_of(series) (p_nodule
    lowered by the thick-slice logit offset first where given); LUNA16 nodules' rank among the
    candidates."""
    t = TEMPERATURE[0] if temperature is None else temperature
    sc = finding_score(calibrated(logits_of(s), t), s, mode)
    sc = np.where(sc >= 0, recalibrate(sc, offset), sc)
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
                                   'findingAtThreshold': bool(sc[best] >= thr), 'isFindingNumber1': bool(rank == 1 and sc[best] >= thr)})
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


def v1_baseline(fold_data):
    """The characterizer being replaced (v1 ONNX, scored on channel 0 of the same miner cubes by
    training/score_v1.mjs) on the same validation series: its p_nodule alone, and the v1 app score
    (U-Net peak x p_nodule; blob-only candidates score 0). Note: v1 trained on LIDC-IDRI-0002 with
    inserted nodules, so only the LIDC-IDRI-0001 fold is held out for it."""
    out = {}
    for name, f in fold_data.items():
        paths = [os.path.join(RUNS, 'mined', s.name + '.v1.f32') for s in f['val']]
        if not all(os.path.exists(p) for p in paths):
            return None
        for mode in ('v1 p_nodule', 'v1 app score (U-Net peak x p_nodule)'):
            sc = []
            for s, p in zip(f['val'], paths):
                v = np.fromfile(p, dtype='<f4').astype(np.float64)
                if 'U-Net' in mode:
                    v = v * np.array([c['unetScore'] or 0 for c in s.meta['candidates']])
                sc.append(v)
            rows = nodule_table(f['val'], sc)
            fps = [x[s.labels == 0] for s, x in zip(f['val'], sc)]
            sens, cpm = froc_rows(rows, np.concatenate(fps), len(f['val']))
            out.setdefault(mode, {})[f['valBackground']] = {'sensitivity': sens, 'cpm': cpm, 'nodules': len(rows),
                                                            'cpmCI95': bootstrap_cpm(rows, fps)}
    return out


def write_markdown(report, path):
    """The validation figures as a generated markdown page (no figure typed in)."""
    f = fmt
    rates = [f'{r:g}' for r in RATES]
    L = ['# Characterizer v2: cross-validation over the real backgrounds', '',
         '<!-- generated by training/cv_report.py from training/runs; do not edit -->', '',
         'Held-out insertions: each fold model trains on the insertions into one real scan (plus that scan\'s own '
         'candidates as negatives) and is scored on the miner\'s candidates of the insertions into the other scan; '
         'each inserted series is one scan; LUNA16 hit rule; CPM with a bootstrap 95% CI.', '',
         '| model | validated on | nodules | ' + ' | '.join(f'{r} FP/scan' for r in rates) + ' | CPM (95% CI) |',
         '|---|---|---|' + '---|' * (len(rates) + 1)]
    for name, b in report['folds'].items():
        L.append(f"| v2 fold {name} (trained on {b['trainedOn']}) | {b['validatedOn']} | {b['nodules']} | "
                 + ' | '.join(f(b['sensitivity'][r]) for r in rates) + f" | {f(b['cpm'])} ({f(b['cpmCI95'][0])}-{f(b['cpmCI95'][1])}) |")
    for mode, per in (report.get('v1Baseline') or {}).items():
        for bg, b in per.items():
            L.append(f"| {mode}{' (trained on 0002: not held out)' if bg.endswith('0002') else ''} | {bg} | {b['nodules']} | "
                     + ' | '.join(f(b['sensitivity'][r]) for r in rates) + f" | {f(b['cpm'])} ({f(b['cpmCI95'][0])}-{f(b['cpmCI95'][1])}) |")
    L += ['', f"Fold tables: the shipped model's finding score, **{report['pooled']['score']}** "
          f"(temperature-scaled with one T fitted on the pooled folds; the pooled rows put two fold models' scores on "
          f"one scale, which favours neither score, so they choose nothing). The shipped model is scored by "
          f"**{report['operatingPoint']['score']}** at the operating threshold {report['operatingPoint']['threshold']} "
          f"(T = {report['operatingPoint']['temperature']}), both chosen on its calibration series (below); the "
          f"exported model carries T.", '',
          '| v2 finding score (pooled folds) | nodules | ' + ' | '.join(f'{r} FP/scan' for r in rates) + ' | CPM (95% CI) |',
          '|---|---|' + '---|' * (len(rates) + 1)]
    for mode, b in report['scoreModes'].items():
        L.append(f"| {mode} | {b['nodules']} | " + ' | '.join(f(b['sensitivity'][r]) for r in rates)
                 + f" | {f(b['cpm'])} ({f(b['cpmCI95'][0])}-{f(b['cpmCI95'][1])}) |")
    sh = report['shipped']
    te = sh['test']
    L += ['', f"## Shipped: {sh['model']} (trained on {sh['trainedOn']})", '',
          f"Fold cv-0002's recipe plus the real candidates of {sh['validatedOn']} as negatives: "
          f"{describe_split(sh['split'])}; the app averages all of them. Every {sh['validatedOn']} candidate below is scored "
          f"by the members that never saw its {part_word(sh['split'])} (cross-fitted), and its inserted nodules were never training data. "
          f"Temperature and threshold chosen on {', '.join(sh['calibrationSeries'])}; figures on "
          f"{', '.join(sh['testSeries'])}.", '',
          *([f"**Score fusion** (session 44): every score below is sigmoid(logit(p_nodule) + {sh['fusion']['weight']:g} logit(h)), "
             f"h the fusion detector's heatmap maximum within {sh['fusion']['radiusMm']:g} mm of the candidate (file sha256 "
             f"{sh['fusion']['sha256'][:12]}...; training/fusion_check.py chose the weight on the calibration, sharp calibration, "
             f"5 mm calibration and dev sets; src/core/inference/score-fusion.ts computes it in the app). The temperature "
             f"is p_nodule's own; threshold and thick-slice offset are chosen on the fused score.", '']
            if sh.get('fusion') else []),
          *test_tables(f"{sh['validatedOn']} {seed_span(sh['testSeries'])}", te, 'test set', rates)]
    tk = sh.get('thickSliceValidation')
    if tk:
        ts = sh['operatingPoint'].get('thickSlice', {})
        L += ['', f"**5 mm slices**: logit offset {tk['logitOffset']} for series thicker than 2.5 mm, chosen on "
              f"{ts.get('chosenOn', '-')}. Test series {', '.join(tk['series'])}:", '',
              *test_tables(f"{sh['validatedOn']} at 5 mm", tk, '5 mm test set', rates)]
    sk = sh.get('sharpKernelValidation')
    if sk:
        L += ['', f"**Sharp reconstruction kernels** (insert_nodules.py --sharpen 1.5 and 3: the same acquisition "
              f"through an in-plane unsharp mask, noise x1.9 and x2.8), no recalibration. Test series {', '.join(sk['series'])}:", '',
              *test_tables(f"{sh['validatedOn']}, sharp kernels", sk, 'sharp-kernel test set', rates)]
    pv = sh.get('previousTest')
    if pv:
        L += ['', f"**The previous test set** ({', '.join(pv['series'])}; it measured the session-8 and session-10 "
              'models, so it chose nothing since and is kept to compare with their figures):', '',
              *test_tables(f"{sh['validatedOn']} {seed_span(pv['series'])}", pv, 'previous test set', rates)]
    L += ['', '| real scan | candidates | findings at the threshold | false positives | LUNA16 nodule: p_nodule, rank |', '|---|---|---|---|---|']
    for scan, a in sh['realScans'].items():
        nod = '; '.join(f"{n['diameterMm']} mm: {f(n.get('pNodule'))}, #{n.get('rankAmongCandidates', '-')}" for n in a['realNodules']) or 'no LUNA16 nodule'
        who = ' (a training scan)' if a.get('trainingScan') else f" (cross-fitted: each {part_word(sh['split'])} by the members that never saw it)" if a.get('crossFitted') else ' (held out)'
        L.append(f"| {scan}{who} | {a['candidates']} | "
                 f"{a['findingsAtThreshold']} | {a['falsePositivesAtThreshold']} | {nod} |")
    p = report['pooled']
    L += ['', f"Stage-1 candidates (the miner) hit {f(p['candidateSensitivity'])} of the held-out inserted nodules.", '',
          '| subgroup (both folds) | nodules | v2 sensitivity at 1 FP/scan | a stage-1 candidate at all |', '|---|---|---|---|']
    for k, v in p['breakdown'].items():
        L.append(f"| {k} | {v['nodules']} | {f(v['sensAt1FpPerScan'])} | {f(v['candidateFound'])} |")
    L += ['', '## Real scans', '', '| scan | model | candidates | LUNA16 nodule p_nodule, rank among candidates |', '|---|---|---|---|']
    for name, b in report['folds'].items():
        h = b.get('heldOutRealScan')
        if h:
            a = h['atShippedThreshold']
            nod = '; '.join(f"{n['diameterMm']} mm: {f(n.get('pNodule'))}, #{n.get('rankAmongCandidates', '-')}" for n in a['realNodules']) or 'no LUNA16 nodule'
            L.append(f"| {h['scan']} | v2 fold trained on {b['trainedOn']} (held out) | {a['candidates']} | {nod} |")
    for scan, a in (report.get('finalOnRealScans') or {}).items():
        nod = '; '.join(f"{n['diameterMm']} mm: {f(n.get('pNodule'))}, #{n.get('rankAmongCandidates', '-')}" for n in a['realNodules']) or 'no LUNA16 nodule'
        L.append(f"| {scan} | v2 trained on both (saw this scan's negatives) | {a['candidates']} | {nod} |")
    sel = os.path.join(RUNS, 'selection.json')
    if os.path.exists(sel):
        L += ['', '### Model selection (calibration half only: training/select_char.py)', '',
              'Single seeds and ensembles (mean of logits) of the fold trained on LIDC-IDRI-0002, scored on the insertions '
              'into LIDC-IDRI-0001 seeds 1-4 only (the test seeds never read); the best CPM is shipped.', '',
              '| variant | CPM | sensitivity at 1 FP/scan |', '| --- | --- | --- |']
        for name, v in json.load(open(sel)).items():
            L.append(f"| {name} | {v['cpm']:.3f} | {v['sensitivity']['1']:.3f} |")
    L += ['', 'Learning curves: [v2-learning-curves.png](v2-learning-curves.png) (left: training loss; right: validation CPM; '
          'blue = fold cv-0001, red = fold cv-0002, green = model trained on both).', '']
    open(path, 'w').write('\n'.join(L))


SHIP_FOLD = 'cv-0002'
# Which run folder under runs/char/ holds each fold's model (CHAR_DIRS=cv-0002=cv-0002b,... to score another run).
# Fold cv-0002 (session 10's shipped model; since session 12 the shipped ensemble is SHIP_SPLIT,
# this recipe plus LIDC-IDRI-0001's real negatives) is an ensemble of 4 seeds (runs/char/rc-0002-seed0 ... -seed3, trained on
# LIDC-IDRI-0002 at 1.25, 2.5, 3.75 and 5 mm, on stage-1 candidates re-centred by
# src/core/inference/recentre.ts inside the lung mask that leaves the mediastinum out): the
# ensemble size with the best CPM on the calibration half (training/select_char.py,
# runs/selection.json: 1-5 seeds 0.540, 0.685, 0.711, 0.716, 0.707). Session 8's recipe without
# the 5 mm copies (2 seeds, 0.734 there) listed 7.75 false positives per scan at the threshold on
# the 5 mm calibration insertions (seeds 71-74) and 0.507 sensitivity at 1 FP/scan; this one 3.75
# and 0.552. Tried after and not shipped: the same runs keeping the step with the best CPM on
# validation seeds 5-24 (es-0002-seed<i>, train_char.py --val-seeds 5-24 --keep-best; calibration
# 0.731-0.747, test 0.695) listed 2 false positives on the real LIDC-IDRI-0001 as 5 mm slices
# (the second at p 0.8208 against its threshold 0.8204): the real-scan gate failed.
SHIP_SEEDS = 4
FOLD_DIRS = {'cv-0001': 'cv-0001', 'cv-0002': '+'.join(f'rc-0002-seed{i}' for i in range(SHIP_SEEDS)), 'final': 'final'}
for _kv in filter(None, os.environ.get('CHAR_DIRS', '').split(',')):
    _k, _v = _kv.split('=')
    FOLD_DIRS[_k] = _v
# Session 12: the shipped ensemble also learns LIDC-IDRI-0001's real negatives, each half of its
# members from one side of z = zc only (cross_fit.py); measured cross-fitted. zs5-*: half of the
# random negative draws from them (--real-negative-share 0.5); zs-* (a quarter) tied on the
# calibration CPM (0.744 against 0.740) but listed 2 false positives on the real LIDC-IDRI-0001
# through a sharp kernel (zs5: 0) - split_cv.py, training/README.md. Session 14: q6-*, the same
# recipe on the candidates of the 600/400 blob quota (stage1.ts BLOB_QUOTA; --max-negatives 450 per
# series), tied with zs5 on the calibration and dev seeds with far more nodules reaching stage 2.
# Session 15: s4-*, four cranio-caudal slabs (the quartiles of LIDC-IDRI-0001's candidate z) instead
# of two halves, 2 seeds per slab: each member learns ~60% of the real negatives instead of ~45%;
# on the choosing sets (calibration, sharp and 5 mm calibration, dev seeds 5-12) CPM 0.786 / 0.799 /
# 0.640 / 0.795 against q6's 0.747 / 0.765 / 0.635 / 0.786 (split_cv.py --test fresh).
# Session 42: s41v-*, the s4 recipe plus 12 LIDC-IDRI-0002 series of the vessel mix (session 41;
# choosing sets 0.765 against the s4 members' 0.766, against the same recipe retrained on this
# machine's candidates 0.755 with 2 seeds and 0.744 with 3: training/README.md, "Session 42").
SLAB_BOUNDS = '-197.5,-155,-110'
SLAB_SEEDS = 2
SHIP_PREFIX = 's41v'
SHIP_SPLIT = {'bounds': SLAB_BOUNDS,
              'slabs': ['+'.join(f'{SHIP_PREFIX}-k{k}-seed{i}' for i in range(SLAB_SEEDS)) for k in range(len(SLAB_BOUNDS.split(',')) + 1)]}
CALIBRATION_SEEDS = ('-s1', '-s2', '-s3', '-s4')
# Seeds 5-24 measured earlier models or decided between pipelines and were looked at (session 8:
# seeds 21-24 compared re-centred candidates with the previous shipped pipeline); seeds 25-32
# measured the session-8 and session-10 models, seeds 33-40 (inserted in session 11) the session-10
# model and compared session 12's cross-fitted split with it (split_cv.py), so they are the
# previous test set now (previousTest).
PREVIOUS_TEST_SEEDS = tuple(f'-s{i}' for i in range(33, 41))
# Session 12: seeds 41-48, inserted before the split models were compared and read only once the
# shipped model was chosen.
TEST_SEEDS = tuple(f'-s{i}' for i in range(41, 49))
# Insertions into LIDC-IDRI-0001 as if reconstructed with a sharp kernel (insert_nodules.py
# --sharpen 1.5 and 3): seeds 81-84 measured session 11's model and compared session 12's split
# (SHARP_PREVIOUS_TEST); seeds 89-92 (session 12) measure the shipped model.
SHARP_PREVIOUS_TEST = ('LIDC-IDRI-0001-k15-s81', 'LIDC-IDRI-0001-k15-s82', 'LIDC-IDRI-0001-k3-s83', 'LIDC-IDRI-0001-k3-s84')
SHARP_TEST = ('LIDC-IDRI-0001-k15-s89', 'LIDC-IDRI-0001-k15-s90', 'LIDC-IDRI-0001-k3-s91', 'LIDC-IDRI-0001-k3-s92')
# Seeds 85-88 with sharp kernels are calibration: the one threshold must keep TARGET_FP on them too
# (session 11: at the 2.5 mm threshold they had 1.5 FP/scan, and the real scan sharpened 3 and 2).
SHARP_CAL = ('LIDC-IDRI-0001-k15-s85', 'LIDC-IDRI-0001-k15-s86', 'LIDC-IDRI-0001-k3-s87', 'LIDC-IDRI-0001-k3-s88')
# Insertions into LIDC-IDRI-0001 as 5 mm slices (insert_nodules.py --thicken 2; session 10): seeds
# 71-74 measured the session-8 model's thick-slice flood and choose the thick-slice logit offset;
# seeds 75-78 (inserted after) measure it.
THICK_PREFIX = 'LIDC-IDRI-0001-t2-'
THICK_CAL_SEEDS = ('-s71', '-s72', '-s73', '-s74')
THICK_TEST_SEEDS = ('-s75', '-s76', '-s77', '-s78')
# Session 13 (training/runs/ was lost with the machine and regenerated from the scripts): the
# stage-1 blob quota is chosen on the calibration seeds above plus seeds 5-12 (DEV_SEEDS: looked at
# in sessions 5-8, they measure nothing now), and measured on seeds inserted this session and read
# once: 49-56 at 2.5 mm, 93-96 through sharp kernels, and 5 mm seeds 75-80 (75-78 measured the
# session-10 to -12 thick-slice offsets and chose nothing; 79-80 are new).
DEV_SEEDS = tuple(f'-s{i}' for i in range(5, 13))
FRESH_TEST_SEEDS = tuple(f'-s{i}' for i in range(49, 57))
SHARP_FRESH_TEST = ('LIDC-IDRI-0001-k15-s93', 'LIDC-IDRI-0001-k15-s94', 'LIDC-IDRI-0001-k3-s95', 'LIDC-IDRI-0001-k3-s96')
THICK_FRESH_TEST_SEEDS = tuple(f'-s{i}' for i in range(75, 81))
# Session 15's fresh test sets (split_cv.py --test session15): LIDC-IDRI-0001 seeds 57-64 and 97-100
# through sharp kernels, inserted before any session-15 model was compared.
SESSION15_TEST_SEEDS = tuple(f'-s{i}' for i in range(57, 65))
SHARP_SESSION15_TEST = ('LIDC-IDRI-0001-k15-s97', 'LIDC-IDRI-0001-k15-s98', 'LIDC-IDRI-0001-k3-s99', 'LIDC-IDRI-0001-k3-s100')
P_EDGE = 6e-8  # as src/core/inference/manifest.ts recalibratePNodule
# Session 44: the shipped score is p_nodule fused with a second U-Net's heatmap at the candidate,
# sigmoid(logit(p_nodule) + w logit(h)) (src/core/inference/score-fusion.ts). The weight and the
# heatmap's folder come from training/fusion_check.py's record (chosen there on the calibration,
# sharp calibration, 5 mm calibration and dev sets, never on a test set); h is
# heatmap_at_candidates.ts's maximum within 2 mm of each candidate (training/fusion_experiment.sh).
SCORE_FUSED = 'characterizer p_nodule fused with the fusion detector heatmap'
FUSION_CHECK = os.path.join(HERE, 'fusion-check-det-v4.json')
FUSION_HEAT = os.path.join(RUNS, 'heat')
FUSION_RADIUS_MM = 2.0  # heatmap_at_candidates.ts RADIUS_MM
FUSION_CLIP = 1e-4  # fusion_check.py fused_scores


def fusion_spec():
    """The shipped fusion: weight, heat key (the staged folder whose detector.onnx the heat came
    from) and that file's sha256; None when FUSION_CHECK chose weight 0."""
    if not os.path.exists(FUSION_CHECK):
        return None
    rec = json.load(open(FUSION_CHECK))
    if not rec['chosenWeight']:
        return None
    onnx = os.path.join(HERE, '..', rec['models'], 'detector.onnx')
    if not os.path.exists(onnx):
        raise SystemExit(f"{onnx}: the fusion detector's staged folder is missing: run training/fusion_experiment.sh")
    return {'weight': float(rec['chosenWeight']), 'key': rec['models'], 'radiusMm': FUSION_RADIUS_MM, 'heatClip': FUSION_CLIP,
            'sha256': hashlib.sha256(open(onnx, 'rb').read()).hexdigest()}


def heat_of(s, fusion):
    """h of every candidate of series s (heatmap_at_candidates.ts), in candidate order."""
    path = os.path.join(FUSION_HEAT, s.name + '.json')
    if not os.path.exists(path):
        raise SystemExit(f'{path}: no fusion heat for {s.name}: run training/heatmap_at_candidates.ts on it (fusion_experiment.sh)')
    h = np.asarray(json.load(open(path))['models'][fusion['key']], dtype=np.float64)
    if len(h) != len(s.labels):
        raise SystemExit(f'{path}: {len(h)} heat values for {len(s.labels)} candidates (mined again since?)')
    return h


def fused_logit(z, h, t, w, clip=FUSION_CLIP):
    """Logits whose calibrated score (calibrated(., t)) is the app's fused score (score-fusion.ts):
    z / t + w logit(h) = (z + t w logit(h)) / t, h clipped to [clip, 1 - clip]."""
    hc = np.clip(np.asarray(h, dtype=np.float64), clip, 1 - clip)
    return np.asarray(z, dtype=np.float64) + t * w * np.log(hc / (1 - hc))


def fuse_logits(z, s, t, fusion):
    """fused_logit with series s's heat and the shipped fusion; z as it is without one."""
    return z if fusion is None else fused_logit(z, heat_of(s, fusion), t, fusion['weight'], fusion['heatClip'])



def p_logit(p):
    q = np.clip(np.asarray(p, dtype=np.float64), P_EDGE, 1 - P_EDGE)
    return np.log(q / (1 - q))


def recalibrate(p, offset):
    """The app's thick-slice recalibration (manifest.ts recalibratePNodule): logit lowered by offset."""
    return p if offset == 0 else 1 / (1 + np.exp(-(p_logit(p) - offset)))



def fmt(v):
    return 'n/a' if v is None else f'{v:.3f}'


def test_tables(label, t, what, rates):
    """Markdown lines: one FROC row of a shipped-model test block, then its subgroup table."""
    f = fmt
    L = ['| test set | scans | nodules | ' + ' | '.join(f'{r} FP/scan' for r in rates) + ' | CPM (95% CI) | at the threshold: sensitivity, FP/scan |',
         '|---|---|---|' + '---|' * (len(rates) + 2),
         f"| {label} | {t['scans']} | {t['nodules']} | " + ' | '.join(f(t['sensitivity'][r]) for r in rates)
         + f" | {f(t['cpm'])} ({f(t['cpmCI95'][0])}-{f(t['cpmCI95'][1])}) | {f(t['atOperatingThreshold']['sensitivity'])}, "
         f"{t['atOperatingThreshold']['fpPerScan']:.2f} |", '',
         f'| subgroup ({what}) | nodules | at 1 FP/scan | at the threshold | a stage-1 candidate at all |', '|---|---|---|---|---|']
    for k, v in t['breakdown'].items():
        L.append(f"| {k} | {v['nodules']} | {f(v['sensAt1FpPerScan'])} | {f(v['sensAtOperatingThreshold'])} | {f(v['candidateFound'])} |")
    return L


def protocol_block(f, sc, idx, thr, offset=0.0):
    """FROC, CPM, figures at the threshold and subgroups of the shipped model on some of its
    validation series (thick slices: p_nodule recalibrated by the app's logit offset first)."""
    tk = [f['val'][i] for i in idx]
    tks = [np.where(sc[i] >= 0, recalibrate(sc[i], offset), sc[i]) for i in idx]
    rows = nodule_table(tk, tks)
    fps = [x[s.labels == 0] for s, x in zip(tk, tks)]
    fp = np.concatenate(fps)
    sens, cpm = froc_rows(rows, fp, len(tk))
    return {'logitOffset': offset, 'series': [s.name for s in tk], 'scans': len(tk), 'nodules': len(rows),
            'sensitivity': sens, 'cpm': cpm, 'cpmCI95': bootstrap_cpm(rows, fps),
            'atOperatingThreshold': {'sensitivity': float(np.mean([r['score'] >= thr for r in rows])),
                                     'fpPerScan': float((fp >= thr).sum() / len(tk))},
            'breakdown': breakdown(rows, fp, len(tk), thr)}


def shipped_model(fold_data):
    """The shipped characterizer (session 12): fold cv-0002's recipe (trained on the LIDC-IDRI-0002
    background) plus LIDC-IDRI-0001's own real negatives, one cranio-caudal side per ensemble
    (cross_fit.py, SHIP_SPLIT). The app runs the mean of all members; here every LIDC-IDRI-0001
    candidate is scored by the members that never saw its side, so the temperature and threshold
    are still fitted on unseen ground, the insertions into LIDC-IDRI-0001 seeds 1-4 (calibration),
    and every figure is measured on the test seeds (TEST_SEEDS). The inserted positives of
    LIDC-IDRI-0001 stay out of training. The fold trained on LIDC-IDRI-0001 generalised worse (see
    the folds), and a model trained on all of both backgrounds has no unseen data left to choose
    its threshold on."""
    f = fold_data[SHIP_FOLD]
    ship = CrossFitted(SHIP_SPLIT, load_net, exact_logits)
    cal = [i for i, s in enumerate(f['val']) if s.name.endswith(CALIBRATION_SEEDS)]
    test = [i for i, s in enumerate(f['val']) if s.name.endswith(TEST_SEEDS)]
    thick = [i for i, s in enumerate(f['val']) if s.name.startswith(THICK_PREFIX)]
    sharp = [i for i, s in enumerate(f['val']) if s.name in SHARP_TEST]
    sharp_cal = [i for i, s in enumerate(f['val']) if s.name in SHARP_CAL]
    previous = [i for i, s in enumerate(f['val']) if s.name.endswith(PREVIOUS_TEST_SEEDS)]
    # The calibration, test and derived-protocol series are scored on float32 cubes, as the app scores them.
    idx = cal + test + thick + sharp + sharp_cal + previous
    exact = {i: ship.series_logits(f['val'][i]) for i in idx}
    t = fit_temperature([exact[i] for i in cal], [f['val'][i].labels for i in cal])
    # The temperature is p_nodule's own (the exported model carries it); the heat is added after.
    fusion = fusion_spec()
    exact = {i: fuse_logits(z, f['val'][i], t, fusion) for i, z in exact.items()}
    logits_of = lambda s: fuse_logits(ship.series_logits(s), s, t, fusion)
    score_name = SCORE_FUSED if fusion else SCORE_P
    sc = {i: finding_score(calibrated(z, t), f['val'][i], SCORE_P) for i, z in exact.items()}
    thr_at = lambda idx: operating_threshold(np.concatenate([sc[i][f['val'][i].labels == 0] for i in idx]), len(idx))
    thr_by = {'own slices': thr_at(cal), **({'sharp kernels': thr_at(sharp_cal)} if sharp_cal else {})}
    thr = max(thr_by.values())
    tv = [f['val'][i] for i in test]
    ts = [sc[i] for i in test]
    rows = nodule_table(tv, ts)
    fps = [x[s.labels == 0] for s, x in zip(tv, ts)]
    fp = np.concatenate(fps)
    sens, cpm = froc_rows(rows, fp, len(tv))
    # Thick slices: the logit offset that keeps the one threshold at TARGET_FP on the thick-slice
    # calibration series (the app subtracts it from every logit of a series thicker than 2.5 mm),
    # measured on the thick-slice test series.
    thick_cal = [i for i in thick if f['val'][i].name.endswith(THICK_CAL_SEEDS)]
    thick_test = [i for i in thick if f['val'][i].name.endswith(THICK_TEST_SEEDS)]
    thick_op, thick_block = None, None
    if thick_cal:
        fp_k = np.concatenate([sc[i][f['val'][i].labels == 0] for i in thick_cal])
        offset = thick_slice_offset(fp_k, len(thick_cal), thr)
        thick_op = {
            'logitOffset': offset,
            'chosenOn': (f"insertions into {f['valBackground']} as 5 mm slices (two 2.5 mm slices averaged), "
                         f"{seed_span([f['val'][i].name for i in thick_cal])} "
                         f"({', '.join(f['val'][i].name for i in thick_cal)}); figures on {seed_span([f['val'][i].name for i in thick_test])}"),
            'criterion': (f'smallest logit offset that leaves at most {TARGET_FP:g} false positive per scan at the operating '
                          'threshold on those series'),
        }
    if thick_test:
        thick_block = protocol_block(f, sc, thick_test, thr, thick_op['logitOffset'] if thick_op else 0.0)
    sharp_block = protocol_block(f, sc, sharp, thr) if sharp else None
    prev_block = protocol_block(f, sc, previous, thr) if previous else None
    # The held-out scan and its real copies, each side scored by the members that never saw it.
    offset = thick_op['logitOffset'] if thick_op else 0.0
    real = {s.name: {**real_scan_check(logits_of, s, thr, SCORE_P, t, offset if s.name.endswith('-t2') else 0.0), 'crossFitted': True}
            for s in real_copies(f['valBackground'], thick=True, cubes=False)}
    train_bg = f['trainBackground']
    for s in load_backgrounds([train_bg], sharp=False, cubes=False):
        if not s.inserted:
            real[s.name] = {**real_scan_check(logits_of, s, thr, SCORE_P, t), 'trainingScan': True}
    return {
        'model': ship.members, 'split': SHIP_SPLIT, 'trainedOn': f"{train_bg} + {f['valBackground']} real negatives",
        'validatedOn': f['valBackground'],
        'calibrationSeries': [f['val'][i].name for i in cal], 'testSeries': [s.name for s in tv],
        'test': {'scans': len(tv), 'nodules': len(rows), 'sensitivity': sens, 'cpm': cpm,
                 'cpmCI95': bootstrap_cpm(rows, fps),
                 'atOperatingThreshold': {'sensitivity': float(np.mean([r['score'] >= thr for r in rows])),
                                          'fpPerScan': float((fp >= thr).sum() / len(tv))},
                 'candidateSensitivity': float(np.mean([r['score'] >= 0 for r in rows])),
                 'breakdown': breakdown(rows, fp, len(tv), thr)},
        'thickSliceValidation': thick_block,
        'sharpKernelValidation': sharp_block,
        'previousTest': prev_block,
        'realScans': real,
        'fusion': fusion,
        'operatingPoint': {
            'threshold': thr, 'score': score_name, 'temperature': round(t, 4),
            'chosenOn': (f"insertions into {f['valBackground']} {seed_span([f['val'][i].name for i in cal])} "
                         f"({', '.join(f['val'][i].name for i in cal + sharp_cal)}), every candidate scored by the shipped members that never "
                         f"saw its {part_word(SHIP_SPLIT)} of the scan ({describe_split(SHIP_SPLIT)}; its inserted nodules were never "
                         f"training data); figures reported on {seed_span([s.name for s in tv])}"),
            'criterion': (f"lowest {'fused score' if fusion else 'p_nodule'} threshold with at most "
                          f'{TARGET_FP:g} false positive per scan on the calibration '
                          f'series at the scan\'s own slices and on its sharp-kernel calibration series (the higher of '
                          f"the two: {', '.join(f'{k} {v}' for k, v in thr_by.items())}), p_nodule temperature-scaled "
                          f'(T = {t:.3f}) on the first'),
            **({'thickSlice': thick_op} if thick_op else {}),
            **({'fusion': {
                'model': 'fusionDetector', 'weight': fusion['weight'], 'radiusMm': fusion['radiusMm'], 'heatClip': fusion['heatClip'],
                'chosenOn': ('the weights 0-1.5 scored on the calibration, sharp calibration, 5 mm calibration and dev insertions '
                             '(LIDC-IDRI-0001 seeds 1-12, k15/k3 seeds 85-88, t2 seeds 71-74), every candidate cross-fitted as here; '
                             'training/fusion_check.py, training/fusion-check-det-v4.json'),
                'criterion': ('the weight with the best nodule-weighted CPM over those sets; the fused score is '
                              'sigmoid(logit(p_nodule) + weight x logit(h)), h the fusion detector heatmap maximum within radiusMm '
                              'of the candidate clipped to [heatClip, 1 - heatClip]; the threshold and thick-slice offset are then '
                              'chosen on the fused score by the rules above')}} if fusion else {}),
        },
    }


def main():
    fold_data = {}
    for fold, (train_bg, val_bg) in FOLDS.items():
        path = os.path.join(RUNS, 'char', FOLD_DIRS[fold], 'model.pt')
        missing = [m for m in FOLD_DIRS[fold].split('+') if not os.path.exists(os.path.join(RUNS, 'char', m, 'model.pt'))]
        if missing:
            raise SystemExit(f"{', '.join(missing)}: no model.pt under {os.path.join(RUNS, 'char')}: run train_char.py --name {fold}")
        net = load_net(path)
        series = load_backgrounds([val_bg], cubes=False)
        inserted = [s for s in series if s.inserted]
        original = [s for s in series if not s.inserted]
        raw = [exact_logits(net, s) for s in inserted]
        fold_data[fold] = {'net': net, 'val': inserted, 'raw': raw, 'original': original, 'valBackground': val_bg,
                           'trainBackground': train_bg}
    TEMPERATURE[0] = fit_temperature([z for f in fold_data.values() for z in f['raw']],
                                      [s.labels for f in fold_data.values() for s in f['val']])
    for f in fold_data.values():
        f['logits'] = f['raw']
        f['raw'] = [calibrated(z, TEMPERATURE[0]) for z in f['raw']]
    by_mode = {}
    for mode in (SCORE_P, SCORE_PEAK):
        rows_m, fps_m = [], []
        for f in fold_data.values():
            sc = [finding_score(p, s, mode) for s, p in zip(f['val'], f['raw'])]
            rows_m += nodule_table(f['val'], sc)
            fps_m += [x[s.labels == 0] for s, x in zip(f['val'], sc)]
        sens_m, cpm_m = froc_rows(rows_m, np.concatenate(fps_m), len(fps_m))
        by_mode[mode] = {'sensitivity': sens_m, 'cpm': cpm_m, 'nodules': len(rows_m), 'cpmCI95': bootstrap_cpm(rows_m, fps_m)}
    # The fold tables use the shipped model's score (p_nodule, chosen on its calibration half by
    # select_char.py / shipped_model): pooling two fold models' scores on one scale mixes their
    # calibrations, so the pooled CPM of each mode (scoreModes) is reported but chooses nothing.
    mode = SCORE_P
    for f in fold_data.values():
        f['scores'] = [finding_score(p, s, mode) for s, p in zip(f['val'], f['raw'])]
        f['rows'] = nodule_table(f['val'], f['scores'])
        f['fpByScan'] = [sc[s.labels == 0] for s, sc in zip(f['val'], f['scores'])]
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
            'score': mode, 'scans': n_scans, 'nodules': len(rows), 'sensitivity': sens, 'cpm': cpm, 'cpmCI95': bootstrap_cpm(rows, fp_by_scan),
            'candidateSensitivity': float(np.mean([r['score'] >= 0 for r in rows])),
            'breakdown': breakdown(rows, fp, n_scans, shipped_thr),
        },
        'scoreModes': by_mode,
        'operatingPoint': {
            'threshold': math.ceil(shipped_thr * 1e4) / 1e4,
            'score': mode,
            'temperature': round(TEMPERATURE[0], 4),
            'chosenOn': 'cross-validation folds over the real backgrounds: fold models scored on the inserted series of the '
                        'background they were not trained on (LIDC-IDRI-0001 and LIDC-IDRI-0002 insertions, '
                        f'{n_scans} series)',
            'criterion': f'the finding score with the better pooled CPM ({mode}); its lowest threshold with at most {TARGET_FP:g} false positive per scan on the pooled '
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
            fold_rep['heldOutRealScan'] = {'scan': s.name, 'atShippedThreshold': real_scan_check(lambda s: exact_logits(f['net'], s), s, shipped_thr, mode)}
        report['folds'][name] = fold_rep
    # Final model (trained on both backgrounds) on the real scans, at the shipped threshold.
    final_path = os.path.join(RUNS, 'char', FOLD_DIRS['final'], 'model.pt')
    if os.path.exists(final_path):
        net = load_net(final_path)
        report['finalOnRealScans'] = {}
        for s in load_backgrounds(['LIDC-IDRI-0001', 'LIDC-IDRI-0002'], sharp=False, cubes=False):
            if not s.inserted:
                report['finalOnRealScans'][s.name] = real_scan_check(lambda s: exact_logits(net, s), s, shipped_thr, mode)
    report['shipped'] = shipped_model(fold_data)
    report['operatingPoint'] = report['shipped']['operatingPoint']
    curves = {}
    for name in ('cv-0001', 'cv-0002', 'final'):
        # An ensemble's curve is its first member's (the members train alike, seeds apart).
        p = os.path.join(RUNS, 'char', FOLD_DIRS[name].split('+')[0], 'curve.jsonl')
        if os.path.exists(p):
            curves[name] = [json.loads(l) for l in open(p)]
    plot_curves(curves, os.path.join(HERE, 'v2-learning-curves.png'))
    report['v1Baseline'] = v1_baseline(fold_data)
    report['learningCurves'] = {k: v for k, v in curves.items()}
    write_markdown(report, os.path.join(HERE, 'v2-validation.md'))
    json.dump(report, open(os.path.join(RUNS, 'cv_report.json'), 'w'), indent=2, default=lambda o: o.item() if hasattr(o, 'item') else str(o))
    print(json.dumps({k: report[k] for k in ('pooled', 'operatingPoint')}, indent=1)[:3000])
    print(json.dumps(report.get('finalOnRealScans'), indent=1))


if __name__ == '__main__':
    main()
