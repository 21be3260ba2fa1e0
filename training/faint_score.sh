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
# The choosing and fresh-test series split_cv.py reads that this machine has not mined.
for s in $(seq 49 56); do
  o=$R/insert/LIDC-IDRI-0001-s$s
  [ -f "$o.json" ] || $PY training/insert_nodules.py --study 0001 --seed $s --count 24 --out "$o"
done
for j in "93 1.5" "94 1.5" "95 3" "96 3"; do
  set -- $j
  o=$R/insert/LIDC-IDRI-0001-k$(echo "$2" | tr -d .)-s$1
  [ -f "$o.json" ] || $PY training/insert_nodules.py --study 0001 --seed "$1" --count 24 --sharpen "$2" --out "$o"
done
for s in 79 80; do
  o=$R/insert/LIDC-IDRI-0001-t2-s$s
  [ -f "$o.json" ] || $PY training/insert_nodules.py --study 0001 --seed $s --count 24 --thicken 2 --out "$o"
done
$PY training/site_check.py
for n in LIDC-IDRI-0001-k15-s85 LIDC-IDRI-0001-k15-s86 LIDC-IDRI-0001-k3-s87 LIDC-IDRI-0001-k3-s88 \
  LIDC-IDRI-0001-t2-s71 LIDC-IDRI-0001-t2-s72 LIDC-IDRI-0001-t2-s73 LIDC-IDRI-0001-t2-s74 \
  $(for s in $(seq 49 56); do printf 'LIDC-IDRI-0001-s%s ' $s; done) \
  LIDC-IDRI-0001-k15-s93 LIDC-IDRI-0001-k15-s94 LIDC-IDRI-0001-k3-s95 LIDC-IDRI-0001-k3-s96 \
  LIDC-IDRI-0001-t2-s79 LIDC-IDRI-0001-t2-s80; do
  sh training/mine_series.sh "$R/insert/$n" "$R/mined/$n"
done
# MINE_ONLY=1: just the series above (beside faint_experiment.sh's trainers, on the idle core).
[ "${MINE_ONLY:-0}" = 1 ] && exit 0
B=$($PY -c 'import sys; sys.path.insert(0, "training"); from cv_report import SLAB_BOUNDS; print(SLAB_BOUNDS)')
slabs() { for k in 0 1 2 3; do printf '%s%s-k%s-seed0+%s-k%s-seed1' "$([ $k = 0 ] || echo ,)" "$1" "$k" "$1" "$k"; done; }
for r in s40b s40f; do
  o=$R/split-cv-session40-$r-fresh.json
  [ -f "$o" ] || $PY training/split_cv.py --bounds="$B" --slabs "$(slabs $r)" --test fresh --out "$o" > "$R/logs/split-cv-session40-$r.log" 2>&1
  [ -f "$R/attributes-$r.json" ] || $PY training/attribute_check.py --members $r --out "$R/attributes-$r.json" > "$R/logs/attributes-$r.log" 2>&1
done
echo "faint_score.sh: done"
