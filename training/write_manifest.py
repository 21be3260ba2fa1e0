"""Writes models/manifest.json from the exported files and the measured figures: sha256 from
the files, training facts from runs/*.json, evaluation from runs/evaluation.json, and the app
scorer's figures (evaluation.scorer) from the folder training/record_scorer_figures.sh fills.
Nothing here is typed in by hand.

  /usr/bin/python3 training/write_manifest.py
  /usr/bin/python3 training/write_manifest.py --scorer training/runs/scorer   # merge only
"""
import csv
import glob
import hashlib
import json
import os
import re
import sys

from common import CUBE, DATA, HERE, HU_WINDOW, MODELS, PATCH, RUNS, SPACING_MM, TYPE_ORDER, seed_span
from cross_fit import describe_split, part_word

VERSION = '0.1.0'


def sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


def render_figures(manifest):
    """Replaces the generated block of models/README.md with the manifest's measured figures."""
    path = os.path.join(MODELS, 'README.md')
    if not os.path.exists(path):
        return
    text = open(path).read()
    begin, end = '<!-- figures:begin (written by training/write_manifest.py) -->', '<!-- figures:end -->'
    if begin not in text or end not in text:
        return
    d = manifest['models']['detector']
    c = manifest['models']['characterizer']
    de, ce = d['evaluation']['syntheticHeldOut'], c['evaluation']['syntheticHeldOut']
    rates = list(de['sensitivity'].keys())
    lines = [
        f"Measured by training/evaluate.py on synthetic held-out seeds {de['heldOutSeeds'][0]}-{de['heldOutSeeds'][-1]} "
        f"({de['scans']} scans, {de['nodules']} nodules), LUNA16 hit rule. Not a clinical figure.",
        '',
        '| score | ' + ' | '.join(f'{r} FP/scan' for r in rates) + ' | mean (CPM-style) |',
        '|---|' + '---|' * (len(rates) + 1),
        '| detector | ' + ' | '.join(f"{de['sensitivity'][r]:.3f}" for r in rates) + f" | {de['cpm']:.3f} |",
        '| detector x p_nodule | ' + ' | '.join(f"{ce['sensitivity'][r]:.3f}" for r in rates) + f" | {ce['cpm']:.3f} |",
        '',
        f"Sensitivity at the candidate threshold {de['candidateThreshold']} (any number of FPs): "
        f"{de['max_sensitivity']:.3f} at {de['fp_per_scan_at_max']} FP/scan.",
        '',
        '| subgroup | nodules | hit at threshold |',
        '|---|---|---|',
    ]
    for k, v in de['breakdown'].items():
        lines.append(f"| {k} | {v['nodules']} | {v['hit_at_threshold']:.3f} |")
    od = ce['onDetectedNodules']
    lines += [
        '',
        f"Characterizer on the {od['nodules']} detected held-out nodules: type accuracy {od['typeAccuracy']:.3f}, "
        f"spiculation accuracy {od['spiculationAccuracy']:.3f}, mean p_nodule {od['meanPNodule']:.3f}.",
        '',
        f"ONNX (onnxruntime-node) vs PyTorch, max abs difference: detector {d['evaluation']['onnxVsPytorchMaxAbsDiff']:.2e}, "
        f"characterizer {c['evaluation']['onnxVsPytorchMaxAbsDiff']:.2e}.",
        '',
        f"Sizes: detector.onnx {d['sizeBytes']} bytes, characterizer.onnx {c['sizeBytes']} bytes. "
        f"Training: detector {d['training']['steps']} steps in {d['training']['seconds']} s, characterizer "
        f"{c['training']['steps']} steps in {c['training']['seconds']} s (2 CPU threads each).",
    ] + scorer_lines(manifest)
    a = text.index(begin) + len(begin)
    b = text.index(end)
    open(path, 'w').write(text[:a] + '\n' + '\n'.join(lines) + '\n' + text[b:])


def write(manifest):
    path = os.path.join(MODELS, 'manifest.json')
    with open(path, 'w') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')
    if 'crossValidation' in manifest['models']['characterizer']['evaluation']:
        render_v2(manifest, json.load(open(os.path.join(RUNS, 'cv_report.json'))))
    else:
        render_figures(manifest)


def keep_scorer_blocks(manifest):
    """Carries the scorer's figures over from the previous manifest while they still describe these
    model files: the app's scorer measured the whole pipeline, so a block holds only while every
    model it ran is unchanged (pipelineSha256; a block without it predates the check and is
    dropped). Any other block is removed: a retrained model has none until the scorer measures it."""
    path = os.path.join(MODELS, 'manifest.json')
    old = json.load(open(path))['models'] if os.path.exists(path) else {}
    shas = {k: m['sha256'] for k, m in manifest['models'].items()}
    for key, m in manifest['models'].items():
        m.setdefault('evaluation', {}).pop('scorer', None)
        block = old.get(key, {}).get('evaluation', {}).get('scorer')
        if block and block.get('pipelineSha256') == shas:
            m['evaluation']['scorer'] = block


def keep_noise_block(manifest):
    """Carries operatingPoint.noise (training/noise_calibration.py) over from the previous manifest
    while it describes these model files at this threshold; otherwise it is dropped (the app then
    measures noise without a validated limit) until noise_calibration.py runs again."""
    path = os.path.join(MODELS, 'manifest.json')
    old = (json.load(open(path)).get('operatingPoint') or {}).get('noise') if os.path.exists(path) else None
    shas = {k: m['sha256'] for k, m in manifest['models'].items()}
    op = manifest['operatingPoint']
    if old and old.get('modelsSha256') == shas and old.get('operatingThreshold') == op['threshold']:
        op['noise'] = old


def keep_spiculation_block(manifest):
    """Carries models.characterizer.spiculation (training/attribute_check.py: whether the app may
    show the model's margin call) over while it describes this characterizer file; otherwise it is
    dropped (the app then shows no margin call) until attribute_check.py --write runs again."""
    path = os.path.join(MODELS, 'manifest.json')
    old = json.load(open(path))['models'].get('characterizer', {}).get('spiculation') if os.path.exists(path) else None
    ch = manifest['models']['characterizer']
    if old and old.get('characterizerSha256') == ch['sha256']:
        ch['spiculation'] = old


def series_uid(series_dir):
    import pydicom
    for f in sorted(glob.glob(os.path.join(series_dir, '*.dcm'))):
        return str(pydicom.dcmread(f, stop_before_pixels=True).SeriesInstanceUID)
    raise SystemExit(f'no DICOM files in {series_dir}')


def all_candidates_per_scan(eval_dir):
    """Per scan, from candidates.csv: nodules hit by any candidate (the pipeline's lowest threshold)
    and the false positives among all candidates."""
    out = {}
    with open(os.path.join(eval_dir, 'candidates.csv')) as f:
        for row in csv.DictReader(f):
            s = out.setdefault(row['seriesuid'], {'candidates': 0, 'hit': set(), 'fp': 0, 'ignored': 0})
            s['candidates'] += 1
            if row['match'] == 'TP':
                s['hit'].update(row['markId'].split(';'))
            elif row['match'] == 'FP':
                s['fp'] += 1
            else:
                s['ignored'] += 1
    return out


def scorer_figures(metrics, eval_dir, names=None):
    """The figures of one `pulmolens eval` output folder, in the manifest's form."""
    rates = metrics['froc']['fpPerScan']
    everything = all_candidates_per_scan(eval_dir)
    per_scan = {}
    for p in sorted(metrics['perScan'], key=lambda p: (names or {}).get(p['seriesInstanceUid'], p['seriesInstanceUid'])):
        uid = p['seriesInstanceUid']
        a = everything.get(uid, {'candidates': 0, 'hit': set(), 'fp': 0, 'ignored': 0})
        nodules = p['tp'] + p['fn']
        per_scan[(names or {}).get(uid, uid)] = {
            'seriesInstanceUid': uid,
            'nodules': nodules,
            'atOperatingPoint': {'hits': p['tp'], 'falsePositives': p['fp'], 'missed': p['fn'],
                                 'missedNoduleDiametersMm': [m['diameterMm'] for m in p['missed']]},
            'allCandidates': {'candidates': a['candidates'], 'hits': len(a['hit']), 'falsePositives': a['fp'],
                              'ignoredOnExcludedOrDuplicate': a['ignored'], 'missed': nodules - len(a['hit'])},
        }
    return {
        'scans': metrics['scans'],
        'nodules': metrics['nodules'],
        'sensitivity': {f'{r:g}': v for r, v in zip(rates, metrics['froc']['sensitivity'])},
        'cpm': metrics['cpm'],
        'cpmCI95': metrics['cpmCI95'],
        'operatingPoint': metrics['operatingPoint'],
        'operatingPointSource': metrics.get('operatingPointSource'),
        'perScan': per_scan,
        'annotationsSha256': metrics['data']['annotationsSha256'],
    }


def merge_scorer(run_dir):
    """Merges the scorer's metrics.json files into each model's evaluation.scorer."""
    path = os.path.join(MODELS, 'manifest.json')
    manifest = json.load(open(path))
    run = json.load(open(os.path.join(run_dir, 'run.json')))
    synth = json.load(open(os.path.join(run_dir, 'eval-synth', 'metrics.json')))
    lidc = json.load(open(os.path.join(run_dir, 'eval-lidc', 'metrics.json')))
    models = manifest['models']
    for m in models.values():
        actual = sha256(os.path.join(MODELS, m['file']))
        if actual != m['sha256']:
            raise SystemExit(f"{m['file']}: sha256 {actual} differs from the manifest: refusing to merge")
    for metrics in (synth, lidc):
        if metrics['model']['sha256'] != models['detector']['sha256']:
            raise SystemExit(f"scorer measured model {metrics['model']['sha256']}, manifest has "
                             f"{models['detector']['sha256']}: refusing to merge")
    names = {series_uid(os.path.join(d, 'series')): os.path.basename(d)
             for d in sorted(glob.glob(os.path.join(run_dir, 'lidc', 'LIDC-IDRI-*')))}
    synth_names = {}
    for t in sorted(glob.glob(os.path.join(run_dir, 'synth', 'seed-*', 'truth.json'))):
        truth = json.load(open(t))
        synth_names[truth['seriesInstanceUid']] = f"synthetic seed {truth['seed']}"
    held_out = models['detector']['evaluation']['syntheticHeldOut']['heldOutSeeds']
    seeds = run['seeds']
    subset = '' if seeds == held_out else (
        f' (seeds {", ".join(map(str, seeds))} of the held-out {held_out[0]}-{held_out[-1]}: the full set '
        f'takes too long on the shared 2-core CPU)')
    common = {
        'measuredBy': 'pulmolens eval (src/core/eval, LUNA16 hit rule, bootstrap 95% CI) running the shipped '
                      'pipeline (analyzeSeries: detector, then characterizer' + (', its score fused with the fusion detector heatmap'
                      if 'fusionDetector' in manifest['models'] else '') + '); merged by '
                      'training/write_manifest.py --scorer from training/record_scorer_figures.sh',
        'date': run['date'],
        'gitCommit': run['gitCommit'],
        'model': synth['model'],
        'score': manifest.get('operatingPoint', {}).get('score', 'finding probability = detector peak x characterizer p_nodule'),
        'pipelineSha256': {k: m['sha256'] for k, m in models.items()},
        'syntheticHeldOut': {
            'seeds': seeds,
            'note': ('pulmolens synth phantoms with the held-out seeds' + subset + '; generated by '
                     '`pulmolens synth` (its own scanner geometry), so not the same volumes as '
                     'syntheticHeldOut above'),
            'synthCommand': run['synthCommand'],
            'command': run['synthEvalCommand'],
            **scorer_figures(synth, os.path.join(run_dir, 'eval-synth'), synth_names),
        },
        'lidc': {
            'note': ('both scans are training scans of these models (manifest trainingSeriesUids; scored with '
                     '--include-training-scans): LIDC-IDRI-0002 is the real training background (LUNA16 lists no nodule '
                     'in it), LIDC-IDRI-0001 gave real negatives only (each characterizer member learned one cranio-caudal part of it; '
                     'its held-out figures are the cross-fitted ones in crossValidation / heldOutTest), so false '
                     'positives here are on seen anatomy'
                     if set(names) <= set(manifest.get('trainingSeriesUids', [])) else
                     'LIDC-IDRI-0001 is the validation scan (never trained on); LIDC-IDRI-0002 was the real '
                     'training background (LUNA16 lists no nodule in it), so its false positives are on seen anatomy'),
            'command': run['lidcEvalCommand'],
            **scorer_figures(lidc, os.path.join(run_dir, 'eval-lidc'), names),
        },
    }
    for m in models.values():
        m['evaluation']['scorer'] = {'modelSha256': m['sha256'], **common}
    write(manifest)
    print(f'merged scorer figures from {run_dir} into models/manifest.json')


def scorer_lines(manifest):
    """Model card lines for the scorer block (empty until the scorer has measured these models)."""
    sc = manifest['models']['detector']['evaluation'].get('scorer')
    if not sc:
        return ['', 'The app scorer has not measured these model files yet (training/record_scorer_figures.sh).']
    f = lambda v: 'n/a' if v is None else f'{v:.3f}'
    ci = lambda b: '' if not b.get('cpmCI95') else f" ({f(b['cpmCI95'][0])}-{f(b['cpmCI95'][1])})"
    syn, lidc = sc['syntheticHeldOut'], sc['lidc']
    rates = list(syn['sensitivity'].keys())
    lines = [
        '',
        '### Measured by the app scorer (`pulmolens eval`)',
        '',
        f"Whole pipeline as the app runs it (score: {sc['score']}), LUNA16 rules, on {sc['date']} "
        f"(commit {sc['gitCommit'][:10]}), detector sha256 {sc['model']['sha256'][:12]}…, by "
        f"`training/record_scorer_figures.sh`. CPM with bootstrap 95% CI.",
        '',
        '| set | scans | nodules | ' + ' | '.join(f'{r} FP/scan' for r in rates) + ' | CPM (95% CI) |',
        '|---|---|---|' + '---|' * (len(rates) + 1),
    ]
    for label, b in ((f"synthetic held-out seeds {', '.join(map(str, syn['seeds']))}", syn),
                     ('LIDC-IDRI-0001 + 0002', lidc)):
        lines.append(f"| {label} | {b['scans']} | {b['nodules']} | "
                     + ' | '.join(f(b['sensitivity'][r]) for r in rates) + f" | {f(b['cpm'])}{ci(b)} |")
    lines += ['', f"Synthetic set: {syn['note']}. LIDC: {lidc['note']}.", '',
              '| scan | nodules | operating threshold | hits | FP | missed | all candidates: hits / FP / missed |',
              '|---|---|---|---|---|---|---|']
    for b in (syn, lidc):
        th = f(b['operatingPoint']['threshold'])
        for name, p in b['perScan'].items():
            o, a = p['atOperatingPoint'], p['allCandidates']
            lines.append(f"| {name} | {p['nodules']} | {th} | {o['hits']} | {o['falsePositives']} | {o['missed']} | "
                         f"{a['hits']} / {a['falsePositives']} / {a['missed']} |")
    from_manifest = all((b.get('operatingPointSource') or {}).get('kind') == 'manifest' for b in (syn, lidc))
    lines += ['', ("The operating threshold is the manifest's (chosen on validation data, not on these sets)"
                   if from_manifest else 'The operating threshold is the one that maximises F1 on that set (so it is '
                   'tuned to the set it is reported on)') + '; "all candidates" counts every finding the pipeline emits.']
    return lines


def fusion_lines(manifest):
    """The model card's paragraph on the score fusion (session 44)."""
    fd = manifest['models']['fusionDetector']
    fu = manifest['operatingPoint']['fusion']
    ev = fd['evaluation']
    gain = ev['fusionCheck']['gainInterval']
    return [f"**Score fusion** (session 44): a finding's score is sigmoid(logit(p_nodule) + {fu['weight']:g} logit(h)), h the "
            f"maximum of a second U-Net's heatmap (`{fd['file']}`, {fd['architecture']}; trained {fd['training']['steps']} steps "
            f"in {fd['training']['seconds']} s on {fd['trainingData']}) within {fu['radiusMm']:g} mm of the candidate, clipped to "
            f"[{fu['heatClip']:g}, {1 - fu['heatClip']:g}]. The candidates are the detector's (stage 1 unchanged); only their score moves. "
            f"Weight chosen on {fu['chosenOn']} ({fu['criterion']}). Paired bootstrap 95% interval of the CPM gain over "
            f"p_nodule alone: choosing sets {gain['choosing (nodule-weighted CPM)'][0]:+.3f} to {gain['choosing (nodule-weighted CPM)'][1]:+.3f}, "
            f"card test {gain['card test CPM'][0]:+.3f} to {gain['card test CPM'][1]:+.3f}, four test sets "
            f"{gain['four test sets (nodule-weighted CPM)'][0]:+.3f} to {gain['four test sets (nodule-weighted CPM)'][1]:+.3f}. "
            f"ONNX vs PyTorch max abs difference {ev['onnxVsPytorchMaxAbsDiff']:.2e}.", '']


def fusion_detector_block(cv, check, det, run):
    """models.fusionDetector: the U-Net cv_report.py fused with (its heat came from this very file)."""
    fusion = cv['shipped']['fusion']
    path = os.path.join(MODELS, 'fusion-detector.onnx')
    if sha256(path) != fusion['sha256']:
        raise SystemExit(f"models/fusion-detector.onnx is not the file cv_report.py's heat came from ({fusion['sha256']}): "
                         'export it (export_onnx.py --only fusion) from the staged weights and rerun the heat and cv_report')
    fc = check['models'].get('fusionDetector')
    if not fc or fc.get('sha256') != fusion['sha256'] or not all(o['pass'] for o in fc['outputs'].values()):
        raise SystemExit('onnx_check.json does not pass for models/fusion-detector.onnx: run training/verify_onnx.mjs')
    rec = json.load(open(os.path.join(HERE, 'fusion-check-det-v4.json')))
    inserted = [n for n in run['series'] if n != 'LIDC-IDRI-0002']
    return {
        'name': 'pulmolens-fusion-detector', 'version': '0.4.0', 'file': 'fusion-detector.onnx', 'sha256': fusion['sha256'],
        'sizeBytes': os.path.getsize(path),
        **{k: det[k] for k in ('inputName', 'outputName', 'spacingMm', 'patchSize', 'huWindow')},
        'outputMeaning': ("Per-voxel probability that the voxel lies inside a lung nodule, as the detector's; the app reads it only at "
                          'stage-1 candidates (operatingPoint.fusion), on the detector grid and lung mask.'),
        'trainingData': (f"LIDC-IDRI-0002 and {len(inserted)} series of synthetic nodules inserted into it (its own slices, 5 mm copies, "
                         f"the hard and vessel mixes; {run['nodules']} nodules; training/det_experiment.sh). LIDC-IDRI-0001 was not used"),
        'opset': 17,
        'architecture': det['architecture'],
        'training': {'steps': run['steps'], 'seconds': run['seconds'], 'batch': run['batch'], 'crop': run['crop'], 'seed': run['seed'],
                     'smallNoduleWeight': run['smallWeight'], 'finalLossEma': run['finalLossEma'],
                     'command': 'training/det_experiment.sh (train_det.py --steps 2000 --small-weight 6)'},
        'evaluation': {'fusionCheck': {k: rec[k] for k in ('chosenWeight', 'gainInterval')} | {'measuredBy': 'training/fusion_check.py'},
                       'onnxVsPytorchMaxAbsDiff': max(o['maxAbsDiff'] for o in fc['outputs'].values())},
    }


def render_v2(manifest, cv):
    """The model card's generated block for the v2 pipeline (characterizer v2 + operating point)."""
    path = os.path.join(MODELS, 'README.md')
    text = open(path).read()
    begin, end = '<!-- figures:begin (written by training/write_manifest.py) -->', '<!-- figures:end -->'
    c = manifest['models']['characterizer']
    d = manifest['models']['detector']
    op = manifest['operatingPoint']
    f = lambda v: 'n/a' if v is None else f'{v:.3f}'
    pooled = cv['pooled']
    shipped = cv['shipped']
    rates = list(pooled['sensitivity'].keys())
    t = c['training']
    lines = [
        f"Characterizer v2 trained on CPU ({t['device']}): {t['steps']} steps per model"
        + (f" (kept: the weights at steps {', '.join(map(str, t['keptSteps']))}, chosen by {t['keptBy']})" if t.get('keptSteps') else '')
        + f", {t['seconds']} s in all, batch "
        f"{t['batch']}, seed{'s' if len(t['seeds']) > 1 else ''} {', '.join(map(str, t['seeds']))}"
        f"{ENSEMBLE_NOTE if len(t['seeds']) > 1 else ''}; {c['trainingCounts']['insertedNodules']} inserted nodules in "
        f"{c['trainingCounts']['insertedSeries']} series, {c['trainingCounts']['positiveCubes']} positive and "
        f"{c['trainingCounts']['negativeCubes']} negative candidate cubes from the app's own candidate miner. "
        f"Learning curves: [v2-learning-curves.png](../training/v2-learning-curves.png) (left: training loss; right: validation CPM; "
        f"blue/red = the two cross-validation folds"
        + (", green = a model trained on both backgrounds, not shipped: it has no unseen data left to choose its threshold on)."
           if 'final' in cv.get('learningCurves', {}) else
           "; no model trained on both backgrounds since session 42: it outgrows this machine's 24 GB, training/run_all.sh)."),
        '',
        (f"**Shipped characterizer: {shipped['model']}**, trained on {shipped['trainedOn']}: fold cv-0002's recipe (the "
         f"{shipped['trainedOn'].split(' ')[0]} insertions) plus the real candidates of {shipped['validatedOn']} as negatives: "
         f"{describe_split(shipped['split'])}; the app averages all of them. On {shipped['validatedOn']} every candidate is scored by the "
         f"members that never saw its {part_word(shipped['split'])} (cross-fitted: training/cross_fit.py), so its threshold and figures are measured "
         f"on ground none of those members trained on; its inserted nodules were never training data."
         if shipped.get('split') else f"**Shipped characterizer: fold {shipped['model']}**, trained on the {shipped['trainedOn']} background only."),
        '',
        f"**Operating threshold** {'fused score' if op.get('fusion') else 'p_nodule'} >= {op['threshold']} ({op['criterion']}; chosen on {op['chosenOn']}).",
        '',
        *(fusion_lines(manifest) if op.get('fusion') else []),
        '### Held-out test of the shipped model',
        '',
        f"Insertions into {shipped['validatedOn']} {seed_span(shipped['testSeries'])} ({', '.join(shipped['testSeries'])}): these "
        'series were not used for training, the temperature or the threshold'
        + (f", and every candidate is scored by the members that never saw its {part_word(shipped['split'])} of the scan." if shipped.get('split') else
           ', nor was their background.'),
        '',
        '| test set | scans | nodules | ' + ' | '.join(f'{r} FP/scan' for r in rates) + ' | CPM (95% CI) | at the threshold: sensitivity, FP/scan |',
        '|---|---|---|' + '---|' * (len(rates) + 2),
        f"| {shipped['validatedOn']} {seed_span(shipped['testSeries'])} | {shipped['test']['scans']} | {shipped['test']['nodules']} | "
        + ' | '.join(f(shipped['test']['sensitivity'][r]) for r in rates)
        + f" | {f(shipped['test']['cpm'])} ({f(shipped['test']['cpmCI95'][0])}-{f(shipped['test']['cpmCI95'][1])}) | "
        f"{f(shipped['test']['atOperatingThreshold']['sensitivity'])}, {shipped['test']['atOperatingThreshold']['fpPerScan']:.2f} |",
        '',
        '| subgroup (test set) | nodules | sensitivity at 1 FP/scan | at the operating threshold | a candidate at all |',
        '|---|---|---|---|---|',
    ]
    for k, v in shipped['test']['breakdown'].items():
        lines.append(f"| {k} | {v['nodules']} | {f(v['sensAt1FpPerScan'])} | {f(v['sensAtOperatingThreshold'])} | {f(v['candidateFound'])} |")
    tk = shipped.get('thickSliceValidation')
    if tk:
        lines += [
            '',
            f"**5 mm slices**: insertions into {shipped['validatedOn']} with every two 2.5 mm slices averaged into one "
            f"({', '.join(tk['series'])}). For a series thicker than 2.5 mm the app lowers every p_nodule logit by "
            f"{tk['logitOffset']} (manifest `operatingPoint.thickSlice`, chosen on "
            f"{shipped['operatingPoint'].get('thickSlice', {}).get('chosenOn', '-')}) and warns that Lung-RADS assumes <= 2.5 mm.",
            '',
            '| series | scans | nodules | 1 FP/scan | CPM (95% CI) | at the threshold: sensitivity, FP/scan | >= 6 mm at the threshold | 3-6 mm at the threshold |',
            '|---|---|---|---|---|---|---|---|',
            f"| {shipped['validatedOn']} at 5 mm | {tk['scans']} | {tk['nodules']} | {f(tk['sensitivity']['1'])} | "
            f"{f(tk['cpm'])} ({f(tk['cpmCI95'][0])}-{f(tk['cpmCI95'][1])}) | "
            f"{f(tk['atOperatingThreshold']['sensitivity'])}, {tk['atOperatingThreshold']['fpPerScan']:.2f} | "
            f"{f(tk['breakdown']['diameter >= 6 mm']['sensAtOperatingThreshold'])} | {f(tk['breakdown']['diameter 3-6 mm']['sensAtOperatingThreshold'])} |",
        ]
    sk = shipped.get('sharpKernelValidation')
    if sk:
        b = sk['breakdown']
        lines += [
            '',
            f"**Sharp reconstruction kernels**: insertions into {shipped['validatedOn']} as if reconstructed with a "
            f"lung or bone kernel (an in-plane unsharp mask of amount 1.5 or 3: edge overshoot, noise x1.9 or x2.8; "
            f"{', '.join(sk['series'])}), at the same threshold.",
            '',
            '| series | scans | nodules | 1 FP/scan | CPM (95% CI) | at the threshold: sensitivity, FP/scan | >= 6 mm at the threshold | 3-6 mm at the threshold |',
            '|---|---|---|---|---|---|---|---|',
            f"| {shipped['validatedOn']}, sharp kernels | {sk['scans']} | {sk['nodules']} | {f(sk['sensitivity']['1'])} | "
            f"{f(sk['cpm'])} ({f(sk['cpmCI95'][0])}-{f(sk['cpmCI95'][1])}) | "
            f"{f(sk['atOperatingThreshold']['sensitivity'])}, {sk['atOperatingThreshold']['fpPerScan']:.2f} | "
            f"{f(b['diameter >= 6 mm']['sensAtOperatingThreshold'])} | {f(b['diameter 3-6 mm']['sensAtOperatingThreshold'])} |",
        ]
    lines += [
        '',
        '### Cross-validation over the real backgrounds (held-out insertions)',
        '',
        'Each fold trains on the insertions into one real scan (and that scan\'s own candidates as negatives) and is '
        'scored on the insertions into the other; each inserted series counts as one scan; LUNA16 hit rule '
        '(candidate centre within the nodule radius). Scores are the PyTorch characterizer on the exact cubes the '
        'app extracts (training/mine_candidates.ts). CPM with a bootstrap 95% CI (scans and nodules resampled).',
        '',
        '| validation set | scans | nodules | ' + ' | '.join(f'{r} FP/scan' for r in rates) + ' | CPM (95% CI) |',
        '|---|---|---|' + '---|' * (len(rates) + 1),
    ]
    for name, b in list(cv['folds'].items()) + [('pooled', pooled)]:
        label = 'both folds pooled' if name == 'pooled' else f"{b['validatedOn']} insertions (trained on {b['trainedOn']})"
        lines.append(f"| {label} | {b['scans']} | {b['nodules']} | " + ' | '.join(f(b['sensitivity'][r]) for r in rates)
                     + f" | {f(b['cpm'])} ({f(b['cpmCI95'][0])}-{f(b['cpmCI95'][1])}) |")
    lines += ['', f"Stage-1 candidates hit {f(pooled['candidateSensitivity'])} of the held-out inserted nodules (upper bound "
              'for any threshold).', '',
              '| subgroup (pooled folds) | nodules | sensitivity at 1 FP/scan | at 2 FP/scan | at the operating threshold | a candidate at all |',
              '|---|---|---|---|---|---|']
    for k, v in pooled['breakdown'].items():
        lines.append(f"| {k} | {v['nodules']} | {f(v['sensAt1FpPerScan'])} | {f(v['sensAt2FpPerScan'])} | "
                     f"{f(v['sensAtOperatingThreshold'])} | {f(v['candidateFound'])} |")
    lines += ['', 'Per fold at the threshold chosen on the *other* fold (never on the set it is reported on):', '',
              '| fold | threshold | sensitivity | FP/scan |', '|---|---|---|---|']
    for name, b in cv['folds'].items():
        a = b['atThresholdFromOtherFold']
        lines.append(f"| validated on {b['validatedOn']} | {a['threshold']:.3f} | {f(a['sensitivity'])} | {a['fpPerScan']:.2f} |")
    lines += ['', '### Real scans at the operating threshold', '',
              '| scan | model | candidates | findings | false positives | LUNA16 nodule: p_nodule, rank |', '|---|---|---|---|---|---|']
    for name, b in cv['folds'].items():
        h = b.get('heldOutRealScan')
        if h:
            a = h['atShippedThreshold']
            nod = '; '.join(f"{n['diameterMm']} mm: {f(n.get('pNodule'))}, #{n.get('rankAmongCandidates', '-')}" for n in a['realNodules']) or 'none'
            lines.append(f"| {h['scan']} | fold model trained on {b['trainedOn']} only (held out) | {a['candidates']} | "
                         f"{a['findingsAtThreshold']} | {a['falsePositivesAtThreshold']} | {nod} |")
    for scan, a in shipped['realScans'].items():
        nod = '; '.join(f"{n['diameterMm']} mm: {f(n.get('pNodule'))}, #{n.get('rankAmongCandidates', '-')}" for n in a['realNodules']) or 'none'
        who = ('shipped model (its training scan: candidates away from LUNA16 marks were training negatives)'
               if a.get('trainingScan') else 'shipped model, cross-fitted (each part scored by the members that never saw it)'
               if a.get('crossFitted') else 'shipped model (never saw this scan; its background tuned the threshold)')
        lines.append(f"| {scan} | {who} | {a['candidates']} | {a['findingsAtThreshold']} | {a['falsePositivesAtThreshold']} | {nod} |")
    app = os.path.join(RUNS, 'app', 'summary.json')
    if os.path.exists(app):
        summary = json.load(open(app))
        if summary.get('modelsSha256') != {k: m['sha256'] for k, m in manifest['models'].items()}:
            raise SystemExit('training/runs/app/summary.json measured other model files: rerun training/app_check.sh')
        scans = summary['scans']
        lines += ['', 'Through the app itself (`pulmolens analyze` with these model files, training/app_check.sh): findings '
                  'listed at the operating threshold after the app merges duplicates.'
                  + (f" Every member of the shipped ensemble learned only part of {shipped['validatedOn']}'s real negatives "
                     '(and its 5 mm and sharp-kernel copies), so its rows here check the app end to end (the real nodule, its '
                     'size), not how many false positives an unseen scan gets: for that, the cross-fitted rows above.'
                     if shipped.get('split') else ''), '',
                  '| scan | candidates | findings | false positives | LUNA16 nodule rank | findings (p, kind, diameter) |', '|---|---|---|---|---|---|']
        for scan, a in scans.items():
            rows = '; '.join(f"{r['probability']:.4f} {r['kind']} {r['diameterMm']} mm" for r in a.get('rows', []))
            sharp = re.fullmatch(r'(\d{4})-k(\d)(\d?)', scan)
            if scan.endswith('-t2'):
                label = (f"LIDC-IDRI-{scan[:-3]} as 5 mm slices (two averaged; thick-slice warning: "
                         f"{'yes' if a.get('thickSliceWarning') else 'NO'})")
            elif sharp:
                amount = sharp[2] + (f'.{sharp[3]}' if sharp[3] else '')
                label = f"LIDC-IDRI-{sharp[1]} through a sharp kernel (unsharp mask {amount})"
            else:
                label = f"LIDC-IDRI-{scan}"
            lines.append(f"| {label} | {a['candidates']} | {a['findings']} | {a['falsePositives']} | "
                         f"{a['lunaNoduleRank'] if a['lunaNoduleRank'] is not None else 'no LUNA16 nodule'} | {rows} |")
    lines += ['', 'Findings near LUNA16 excluded marks count neither as hits nor as false positives.', '',
              f"ONNX (onnxruntime-node) vs PyTorch, max abs difference: characterizer {c['evaluation']['onnxVsPytorchMaxAbsDiff']:.2e}. "
              f"Sizes: detector.onnx {d['sizeBytes']} bytes (unchanged v1 U-Net), characterizer.onnx {c['sizeBytes']} bytes"
              + (f", {manifest['models']['fusionDetector']['file']} {manifest['models']['fusionDetector']['sizeBytes']} bytes"
                 if 'fusionDetector' in manifest['models'] else '')
              + f"; {sum(m['sizeBytes'] for m in manifest['models'].values())} bytes in all."]
    lines += scorer_lines(manifest)
    a = text.index(begin) + len(begin)
    b = text.index(end)
    open(path, 'w').write(text[:a] + '\n' + '\n'.join(lines) + '\n' + text[b:])


def main_v2():
    """Characterizer v2 (model contract v2): keeps the detector block (its file unchanged, sha256
    checked), writes the characterizer block, operatingPoint and trainingSeriesUids."""
    path = os.path.join(MODELS, 'manifest.json')
    old = json.load(open(path))
    det = old['models']['detector']
    if sha256(os.path.join(MODELS, det['file'])) != det['sha256']:
        raise SystemExit('detector.onnx differs from the manifest: retrain/re-export it with the v1 steps first')
    cv = json.load(open(os.path.join(RUNS, 'cv_report.json')))
    shipped = cv['shipped']
    # The shipped model is one run folder, or an ensemble 'a+b+...' of runs trained alike (seeds).
    members = shipped['model'].split('+')
    member_runs = [json.load(open(os.path.join(RUNS, 'char', m, 'train.json'))) for m in members]
    run = member_runs[0]
    # Members train alike: the same series and steps; they may differ in which side of the held-out
    # scan's real negatives they learned (train_char.py --real-negatives, cross_fit.py).
    names_of = lambda r: [s['series'] for s in r['data']['series']]
    if any(names_of(r) != names_of(run) or r['steps'] != run['steps'] for r in member_runs):
        raise SystemExit(f"ensemble members {members} were not trained on the same data and steps")
    seeds = [r['args']['seed'] for r in member_runs]
    ensemble = (f"mean of the logits of {len(members)} models trained alike with seeds {', '.join(map(str, seeds))}, each: "
                if len(members) > 1 else '')
    check = json.load(open(os.path.join(RUNS, 'onnx_check.json')))
    if not check.get('pass') or 'characterizer' not in check['models']:
        raise SystemExit('onnx_check.json does not pass for the characterizer: refusing to write a manifest')
    # Every real scan used in training or tuning (the CV folds tuned the threshold on both), and
    # the derived inserted series.
    series = run['data']['series']
    names = {s['series'] for s in series}
    uids = set()
    thick = set()
    inserted_into, negatives_only = set(), set()
    for name in names:
        # A training series is an inserted series (insert/), a real scan (mined/) or a real copy of
        # one without insertions (sharp/ or thick/: insert_nodules.py --sharpen / --thicken --count 0).
        folder = next(f for f in ('insert', 'sharp', 'thick', None) if f is None or os.path.exists(os.path.join(RUNS, f, name + '.json')))
        mined = json.load(open(os.path.join(RUNS, 'mined' if folder in ('insert', None) else folder + '-mined', name + '.json')))
        uids.add(mined['seriesInstanceUid'])
        if folder is None:
            negatives_only.add(name)
            continue
        side = json.load(open(os.path.join(RUNS, folder, name + '.json')))
        uids.add(side['sourceSeriesInstanceUid'])
        thick.add(float(side['sliceThicknessMm']))
        # A thick-slice or sharp-kernel copy is its study as another protocol.
        (inserted_into if side['nodules'] else negatives_only).add(side['study'])
    negatives_only -= inserted_into
    real_negatives = {r['args']['real_negatives']: r['data']['realNegativeCubes'] for r in member_runs if r['args'].get('real_negatives')}
    counts = {
        'insertedSeries': sum(1 for s in series if s['inserted']),
        'insertedNodules': run['data']['insertedNodules'],
        'realScans': sorted(inserted_into | negatives_only),
        'insertedInto': sorted(inserted_into),
        'realNegativesOnly': sorted(negatives_only),
        'sliceThicknessesMm': sorted(thick),
        'positiveCubes': run['data']['positiveCubes'],
        'negativeCubes': run['data']['negativeCubes'] - run['data'].get('realNegativeCubes', 0),
        **({'realNegativeCubes': real_negatives} if real_negatives else {}),
        'extraPositiveCubes': run['data'].get('extraPositiveCubes', 0),
        'perSeries': series,
    }
    char_file = os.path.join(MODELS, 'characterizer.onnx')
    op = cv['operatingPoint']
    manifest = {
        'schemaVersion': 1,
        'models': {
            'detector': det,
            'characterizer': {
                'name': 'pulmolens-characterizer',
                'version': '0.2.0',
                'file': 'characterizer.onnx',
                'sha256': sha256(char_file),
                'sizeBytes': os.path.getsize(char_file),
                'inputName': 'cubes',
                'inputs': [{'cubeSize': [CUBE] * 3, 'spacingMm': [1, 1, 1]}, {'cubeSize': [CUBE] * 3, 'spacingMm': [2, 2, 2]}],
                'huWindow': list(HU_WINDOW),
                'outputs': {'nodule': 'p_nodule', 'type': 'p_type', 'spiculated': 'p_spiculated'},
                'typeOrder': TYPE_ORDER,
                'outputMeaning': 'Stage-2 false-positive reduction. Input cubes [N,2,32,32,32] (Z,Y,X) centred on a stage-1 '
                                 'candidate (voxel 16 = centre): channel 0 at 1 mm, channel 1 at 2 mm; HU clipped to huWindow '
                                 'and scaled to [0,1], outside the volume = air. p_nodule [N,1]: probability that the candidate '
                                 'is a nodule (the finding score, compared with operatingPoint.threshold); p_type [N,3] softmax '
                                 'over typeOrder; p_spiculated [N,1]. Type and spiculation are only meaningful when p_nodule is high.',
                'trainingData': (
                    f"Synthetic nodules inserted into the real scan{'s' if len(counts['insertedInto']) > 1 else ''} "
                    f"{' and '.join(counts['insertedInto'])} (slice thickness {', '.join(f'{t:g}' for t in counts['sliceThicknessesMm'])} mm: "
                    f"the scan's own and thick-slice copies of it, adjacent slices averaged, insert_nodules.py --thicken) on their native DICOM "
                    f"grid (training/insert_nodules.py: rendered at <= 0.25 mm and integrated over each voxel's footprint, the "
                    f"scan's own PSF measured at the body edge, its own noise texture; solid, part-solid, ground-glass; round, "
                    f"lobulated, spiculated; juxtavascular, juxtapleural, free; 3-30 mm) - {counts['insertedNodules']} nodules "
                    f"in {counts['insertedSeries']} series - and the real scans' own stage-1 candidates away from every inserted "
                    f"nodule and LUNA16 mark as negatives; cubes from the app's candidate miner (training/mine_candidates.ts). "
                    + (f"The real scan{'s' if len(counts['realNegativesOnly']) > 1 else ''} {' and '.join(counts['realNegativesOnly'])} "
                       f"(with real copies of it as 5 mm slices and through sharp kernels, nothing inserted) gave negatives only, "
                       f"each member learning only one cranio-caudal part of it ("
                       + ', '.join(f"{k}: {v} cubes" for k, v in counts.get('realNegativeCubes', {}).items())
                       + "; training/cross_fit.py). " if counts['realNegativesOnly'] else '')
                    + f"{counts['positiveCubes']} positive and {counts['negativeCubes']} negative miner cubes, plus "
                    f"{counts['extraPositiveCubes']} positive cubes around the inserted nodules sampled like the app's extractCube "
                    f"(training/extra_positives.py). LIDC-IDRI-0001's real "
                    f"nodule was never a positive and its surroundings never a negative."),
                'trainingCounts': counts,
                'opset': 17,
                'architecture': ensemble + (f"fixed ray-casting stem (26 rays x 14 trilinear samples per channel from the cube centre) + "
                                 f"2-layer Transformer over the ray tokens (dim 32, 4 heads, class token with the centre values) + 3 heads, "
                                 f"{run['params']} trained parameters" if run['args'].get('arch', 'cnn') == 'ray' else
                                 f"2-channel conv stem (32^3 -> 4^3 x 64) + 2-layer Transformer encoder (4 heads, class token) + 3 heads, {run['params']} parameters"),
                'training': {'steps': run['steps'], 'seconds': sum(r['seconds'] for r in member_runs),
                             **({'keptSteps': [r['keptStep'] for r in member_runs],
                                 'keptBy': f"validation CPM on the {run['args']['val'][0]} insertions seeds {run['args']['val_seeds']} "
                                           '(neither the calibration nor the test seeds), evaluated every '
                                           f"{run['args']['eval_every']} steps"}
                                if all('keptStep' in r for r in member_runs) else {}),
                             'batch': run['args']['batch'], 'seeds': seeds,
                             'device': 'CPU, 1 thread on a shared 2-core machine',
                             'augmentation': '90-degree in-plane rotations, flips, scale +-15%, HU offset +-28 HU, noise; extra positives jittered by up to a third of the radius',
                             'extraPositiveCubes': run['data'].get('extraPositiveCubes', 0),
                             'hardNegativeMining': f"every {run['args']['hnm_every']} steps, half of the negatives from the top-scored 15%",
                             'command': 'training/run_all.sh'},
                'evaluation': {
                    'crossValidation': {k: cv[k] for k in ('folds', 'pooled')},
                    'heldOutTest': {k: shipped[k] for k in ('model', 'trainedOn', 'validatedOn', 'calibrationSeries', 'testSeries', 'test')},
                    'realScans': shipped['realScans'],
                    'onnxVsPytorchMaxAbsDiff': max(o['maxAbsDiff'] for o in check['models']['characterizer']['outputs'].values()),
                    'measuredBy': 'training/cv_report.py',
                },
            },
        },
        'operatingPoint': {'threshold': op['threshold'], 'score': op.get('score', 'characterizer p_nodule'), 'chosenOn': op['chosenOn'],
                           'criterion': op['criterion'], **({'thickSlice': op['thickSlice']} if op.get('thickSlice') else {}),
                           **({'fusion': op['fusion']} if op.get('fusion') else {})},
        'trainingSeriesUids': sorted(uids),
    }
    if op.get('fusion'):
        fusion_run = json.load(open(os.path.join(HERE, 'trial', 'det-v4', 'train.json')))
        manifest['models']['fusionDetector'] = fusion_detector_block(cv, check, det, fusion_run)
        # The fusion detector's training series are training series too (the scorer flags them).
        for name in fusion_run['series']:
            mined = os.path.join(RUNS, 'mined', name + '.json')
            side = os.path.join(RUNS, 'insert', name + '.json')
            if not os.path.exists(mined):
                raise SystemExit(f'{mined}: no mined record of the fusion detector training series {name}')
            uids.add(json.load(open(mined))['seriesInstanceUid'])
            if os.path.exists(side):
                uids.add(json.load(open(side))['sourceSeriesInstanceUid'])
        manifest['trainingSeriesUids'] = sorted(uids)
    for fold in manifest['models']['characterizer']['evaluation']['crossValidation']['folds'].values():
        fold.pop('net', None)
    keep_scorer_blocks(manifest)
    keep_noise_block(manifest)
    keep_spiculation_block(manifest)
    write(manifest)
    total = sum(m['sizeBytes'] for m in manifest['models'].values())
    print(f'wrote models/manifest.json (characterizer v2, threshold {op["threshold"]}); models total {total} bytes')
    if total > 30 * 1024 * 1024:
        raise SystemExit('models exceed 30 MB')


ENSEMBLE_NOTE = " (an ensemble: the mean of the models' logits)"


def main():
    if len(sys.argv) == 3 and sys.argv[1] == '--scorer':
        merge_scorer(sys.argv[2])
        return
    if len(sys.argv) == 2 and sys.argv[1] == '--v1':
        main_v1()
        return
    main_v2()


def main_v1():
    stats = json.load(open(os.path.join(DATA, 'patches', 'stats.json')))
    det_run = json.load(open(os.path.join(RUNS, 'train_detector.json')))
    char_run = json.load(open(os.path.join(RUNS, 'train_characterizer.json')))
    ev = json.load(open(os.path.join(RUNS, 'evaluation.json')))
    check = json.load(open(os.path.join(RUNS, 'onnx_check.json')))
    if not check.get('pass'):
        raise SystemExit('onnx_check.json does not pass: refusing to write a manifest')
    data = (
        f"{stats['synthetic_volumes']} synthetic chest CT phantoms (src/core/synth, seeds 1000-{999 + stats['synthetic_volumes']}, "
        f"{stats['synthetic_nodules']} nodules: solid, part-solid, ground-glass; 3-30 mm; round, lobulated, spiculated; "
        f"free, juxtavascular, juxtapleural; scanner spacing 0.6-0.9 mm in-plane, 1-2.5 mm slices, 10-20 HU noise) and "
        f"the real scan LIDC-IDRI-0002 resampled to 1 mm with {stats['lidc0002_inserted_nodules']} synthetic nodules inserted "
        f"and its vessels, airways and pleura as hard negatives. LIDC-IDRI-0001 was not used. "
        f"{stats['patches']} detector patches ({stats['patches_with_nodule']} containing a nodule), "
        f"{stats['cubes']} characterizer cubes ({stats['cubes_nodule']} nodules)."
    )
    common_eval = {
        'measuredBy': 'measured by training/evaluate.py on synthetic held-out seeds',
        'heldOutSeeds': ev['heldOutSeeds'],
        'hitRule': ev['hitRule'],
        'slidingWindow': ev['slidingWindow'],
        'candidateThreshold': ev['candidateThreshold'],
    }
    det_file = os.path.join(MODELS, 'detector.onnx')
    char_file = os.path.join(MODELS, 'characterizer.onnx')
    manifest = {
        'schemaVersion': 1,
        'models': {
            'detector': {
                'name': 'pulmolens-detector',
                'version': VERSION,
                'file': 'detector.onnx',
                'sha256': sha256(det_file),
                'sizeBytes': os.path.getsize(det_file),
                'inputName': 'ct',
                'outputName': 'prob',
                'spacingMm': [SPACING_MM] * 3,
                'patchSize': [PATCH] * 3,
                'huWindow': list(HU_WINDOW),
                'outputMeaning': 'Per-voxel probability (sigmoid in the graph) that the voxel lies inside a lung nodule '
                                 '(training target: a sphere of the nodule diameter around its centre). Input and output '
                                 '[N,1,64,64,64] float32, Z,Y,X at 1 mm; input HU clipped to huWindow and scaled to [0,1]. '
                                 'Trained without a lung mask on its input; mask the output, not the input.',
                'trainingData': data,
                'opset': 17,
                'architecture': f"compact 3D U-Net (8-16-32-64 channels, 3 stride-2 levels, transposed-conv decoder, additive skips), {det_run['params']} parameters",
                'training': {k: det_run[k] for k in ('steps', 'seconds', 'final_loss_ema')} | {'seed': det_run['args']['seed']},
                'evaluation': {
                    'syntheticHeldOut': common_eval | {'score': 'detector peak probability', **ev['detector'], 'breakdown': ev['breakdown']},
                    'onnxVsPytorchMaxAbsDiff': check['models']['detector']['outputs']['prob']['maxAbsDiff'],
                },
            },
            'characterizer': {
                'name': 'pulmolens-characterizer',
                'version': VERSION,
                'file': 'characterizer.onnx',
                'sha256': sha256(char_file),
                'sizeBytes': os.path.getsize(char_file),
                'inputName': 'cube',
                'cubeSize': [CUBE] * 3,
                'spacingMm': [SPACING_MM] * 3,
                'huWindow': list(HU_WINDOW),
                'outputs': {'nodule': 'p_nodule', 'type': 'p_type', 'spiculated': 'p_spiculated'},
                'typeOrder': TYPE_ORDER,
                'outputMeaning': 'For a 32^3 cube at 1 mm centred on a candidate (voxel 16 is the centre): p_nodule [N,1] '
                                 'probability that the candidate is a nodule (false-positive reduction); p_type [N,3] softmax '
                                 'over typeOrder; p_spiculated [N,1] probability of a spiculated margin. Type and spiculation '
                                 'are only meaningful when p_nodule is high.',
                'trainingData': data,
                'opset': 17,
                'architecture': f"conv stem (32^3 -> 4^3 x 64) + 2-layer Transformer encoder (4 heads, class token) + 3 heads, {char_run['params']} parameters",
                'training': {k: char_run[k] for k in ('steps', 'seconds', 'final_loss_ema')} | {'seed': char_run['args']['seed']},
                'evaluation': {
                    'syntheticHeldOut': common_eval | {
                        'score': 'detector peak probability x p_nodule',
                        **ev['detectorTimesCharacterizer'],
                        'onDetectedNodules': ev['characterizerOnDetectedNodules'],
                    },
                    'onnxVsPytorchMaxAbsDiff': max(o['maxAbsDiff'] for o in check['models']['characterizer']['outputs'].values()),
                },
            },
        },
    }
    keep_scorer_blocks(manifest)
    keep_spiculation_block(manifest)
    write(manifest)
    total = manifest['models']['detector']['sizeBytes'] + manifest['models']['characterizer']['sizeBytes']
    print(f'wrote models/manifest.json; models total {total} bytes')
    if total > 30 * 1024 * 1024:
        raise SystemExit('models exceed 30 MB')


if __name__ == '__main__':
    main()
