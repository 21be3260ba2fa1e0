"""Writes models/manifest.json from the exported files and the measured figures: sha256 from
the files, training facts from runs/*.json, evaluation from runs/evaluation.json. Nothing here
is typed in by hand.

  /usr/bin/python3 training/write_manifest.py
"""
import hashlib
import json
import os

from common import CUBE, DATA, HU_WINDOW, MODELS, PATCH, RUNS, SPACING_MM, TYPE_ORDER

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
    ]
    a = text.index(begin) + len(begin)
    b = text.index(end)
    open(path, 'w').write(text[:a] + '\n' + '\n'.join(lines) + '\n' + text[b:])


def main():
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
    json.dump(manifest, open(os.path.join(MODELS, 'manifest.json'), 'w'), indent=2)
    open(os.path.join(MODELS, 'manifest.json'), 'a').write('\n')
    render_figures(manifest)
    total = manifest['models']['detector']['sizeBytes'] + manifest['models']['characterizer']['sizeBytes']
    print(f'wrote models/manifest.json; models total {total} bytes')
    if total > 30 * 1024 * 1024:
        raise SystemExit('models exceed 30 MB')


if __name__ == '__main__':
    main()
