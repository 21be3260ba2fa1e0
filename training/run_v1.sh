#!/bin/sh
# v1 pipeline (detector + v1 characterizer on synthetic phantoms and LIDC-IDRI-0002). The shipped
# detector.onnx still comes from this run; the shipped characterizer is v2 (run_all.sh).
# Data go to the git-ignored training/runs/; only models/*.onnx and models/manifest.json are committed.
set -eu
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
node --import tsx training/gen_synth.ts --out training/runs/data/synth --seeds 1000-1011
node --import tsx training/gen_synth.ts --out training/runs/data/eval --seeds 9000-9005
$PY training/prepare_data.py --seed 0
# The two networks train as two processes (2 threads each) side by side.
$PY training/train.py --seed 0 --only det --det-steps 600 --max-minutes-det 30 &
DET=$!
$PY training/train.py --seed 0 --only char --char-steps 500 --char-batch 24 --max-minutes-char 28
wait $DET
$PY training/export_onnx.py
node training/verify_onnx.mjs
$PY training/evaluate.py
$PY training/write_manifest.py
