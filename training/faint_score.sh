#!/bin/sh
# Session 40: scores training/faint_experiment.sh's two member sets (s40b: the recipe retrained on
# today's candidates; s40f: plus LIDC-IDRI-0002's faint series 201-212) on the same LIDC-IDRI-0001
# series by the same rules (split_cv.py, cross-fitted over the four slabs; --test fresh: seeds
# 49-56, sharp 93-96, 5 mm 75-80, inserted here from run_all.sh's seeds and flags), and their type
# calls (attribute_check.py). Resumable; waits for nothing, so run it after faint_experiment.sh.
set -eu
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
R=training/runs
. training/recipe_series.sh
# The choosing and fresh-test series split_cv.py reads that this machine has not mined.
scored_series
# MINE_ONLY=1: just the series above (beside faint_experiment.sh's trainers, on the idle core).
[ "${MINE_ONLY:-0}" = 1 ] && exit 0
B=$($PY -c 'import sys; sys.path.insert(0, "training"); from cv_report import SLAB_BOUNDS; print(SLAB_BOUNDS)')
for r in s40b s40f; do
  o=$R/split-cv-session40-$r-fresh.json
  [ -f "$o" ] || $PY training/split_cv.py --bounds="$B" --slabs "$(slabs $r 2)" --test fresh --out "$o" > "$R/logs/split-cv-session40-$r.log" 2>&1
  [ -f "$R/attributes-$r.json" ] || $PY training/attribute_check.py --members $r --out "$R/attributes-$r.json" > "$R/logs/attributes-$r.log" 2>&1
done
echo "faint_score.sh: done"
