#!/bin/sh
# Session 41: scores training/vessel_experiment.sh's members (s41v) against the shipped ones
# (rebuilt from models/characterizer.onnx by onnx_members.py as ship-*) on the same LIDC-IDRI-0001
# series by the same rules (split_cv.py --test fresh, cross-fitted over the four slabs: threshold
# on calibration 1-4 and sharp 85-88, figures on dev 5-12, fresh test 49-56, sharp 93-96, 5 mm
# 75-80, and the real-scan gate). SEEDS=1 reads seed 0 of every slab only (for both, so the two
# stay alike), before the seed-1 members exist. Inserts and mines the series it reads that this
# machine lacks (run_all.sh's seeds and flags). Resumable.
set -eu
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
R=training/runs
SEEDS=${SEEDS:-2}
. training/recipe_series.sh
scored_series
[ -f "$R/char/ship-k0-seed0/model.pt" ] || $PY training/onnx_members.py --prefix ship
B=$($PY -c 'import sys; sys.path.insert(0, "training"); from cv_report import SLAB_BOUNDS; print(SLAB_BOUNDS)')
for r in ship s41v; do
  o=$R/split-cv-session41-$r-x$SEEDS-fresh.json
  [ -f "$o" ] || $PY training/split_cv.py --bounds="$B" --slabs "$(slabs $r "$SEEDS")" --test fresh --out "$o" > "$R/logs/split-cv-session41-$r-x$SEEDS.log" 2>&1
done
echo "vessel_score.sh: done"
