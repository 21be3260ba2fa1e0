"""A models folder for trying a candidate characterizer through the app (session 29): a copy of
models/ with the candidate's ensemble exported to characterizer.onnx (export_onnx.py --only char),
the manifest's hash and size for it, and the operating threshold its split_cv.py run chose. The
shipped onnx-check reference is kept (export_onnx.py rewrites it). Nothing in models/ changes.
split_cv.py chooses that threshold on p_nodule alone, so the copy scores p_nodule alone: the
shipped score fusion (session 45: its weight and threshold were chosen for the shipped members) is
taken out of the copy's manifest with its fusion detector.

  /usr/bin/python3 training/candidate_models.py <out dir> <member+member+...> <split_cv json>
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys

from common import MODELS, RUNS


def main():
    out, members, cv = sys.argv[1], sys.argv[2], sys.argv[3]
    if os.path.exists(out):
        raise SystemExit(f'{out} exists: pick a new folder')
    shutil.copytree(MODELS, out)
    os.makedirs(os.path.join(RUNS, 'char', members), exist_ok=True)
    check = os.path.join(RUNS, 'onnx-check')
    saved = check + '.shipped'
    if os.path.exists(check) and not os.path.exists(saved):
        shutil.copytree(check, saved)
    try:
        subprocess.run([sys.executable, 'training/export_onnx.py', '--only', 'char', '--char',
                        os.path.join(RUNS, 'char', members, 'model.pt'), '--models', out], check=True)
    finally:
        if os.path.exists(saved):
            shutil.rmtree(check, ignore_errors=True)
            shutil.move(saved, check)
    onnx = open(os.path.join(out, 'characterizer.onnx'), 'rb').read()
    manifest = json.load(open(os.path.join(out, 'manifest.json')))
    manifest['models']['characterizer']['sha256'] = hashlib.sha256(onnx).hexdigest()
    manifest['models']['characterizer']['sizeBytes'] = len(onnx)
    threshold = json.load(open(cv))['models']['cross-fitted']['threshold']
    fusion = manifest['operatingPoint'].pop('fusion', None)
    if fusion:
        manifest['operatingPoint']['score'] = 'characterizer p_nodule'
        detector = manifest['models'].pop(fusion['model'])
        os.remove(os.path.join(out, detector['file']))
    manifest['operatingPoint']['threshold'] = threshold
    manifest['operatingPoint']['chosenOn'] = f'candidate {members}: split_cv {os.path.basename(cv)}'
    json.dump(manifest, open(os.path.join(out, 'manifest.json'), 'w'), indent=2)
    print(out, members, 'threshold', threshold)


if __name__ == '__main__':
    main()
