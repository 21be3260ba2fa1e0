"""A trial copy of models/ with another detector, for scoring a candidate U-Net with the app's own
stage 1 before it ships: copies models/, exports the weights into the copy (export_onnx.py) and
puts the new file's sha256 in the copy's manifest (the app refuses a file its manifest does not
name). models/ itself is not touched.

  /usr/bin/python3 training/stage_models.py training/runs/det/<name>/detector.pt training/runs/models-<name>
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys

from common import MODELS

det, out = sys.argv[1], sys.argv[2]
if os.path.exists(out):
    shutil.rmtree(out)
shutil.copytree(MODELS, out)
subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), 'export_onnx.py'), '--only', 'det', '--det', det,
                '--models', out], check=True)
m = json.load(open(os.path.join(out, 'manifest.json')))
m['models']['detector']['sha256'] = hashlib.sha256(open(os.path.join(out, 'detector.onnx'), 'rb').read()).hexdigest()
json.dump(m, open(os.path.join(out, 'manifest.json'), 'w'), indent=2)
print('staged', out)
