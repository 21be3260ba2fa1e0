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
ins() {  # <seed> [--thicken 2 | --sharpen A]
  s=$1; shift
  case "${1:-}" in
    --thicken) n=LIDC-IDRI-0001-t$2-s$s ;;
    --sharpen) n=LIDC-IDRI-0001-k$(echo "$2" | tr -d .)-s$s ;;
    *) n=LIDC-IDRI-0001-s$s ;;
  esac
  [ -f "$R/insert/$n.json" ] || $PY training/insert_nodules.py --study 0001 --seed "$s" --count 24 "$@" --out "$R/insert/$n"
  NAMES="${NAMES:-} $n"
}
for s in 1 2 3 4 5 6 7 8 9 10 11 12 49 50 51 52 53 54 55 56; do ins $s; done
for s in 85 86 93 94; do ins $s --sharpen 1.5; done
for s in 87 88 95 96; do ins $s --sharpen 3; done
for s in 71 72 73 74 75 76 77 78 79 80; do ins $s --thicken 2; done
$PY training/site_check.py
for n in $NAMES; do nice -n 10 sh training/mine_series.sh "$R/insert/$n" "$R/mined/$n"; done
[ -f "$R/char/ship-k0-seed0/model.pt" ] || $PY training/onnx_members.py --prefix ship
B=$($PY -c 'import sys; sys.path.insert(0, "training"); from cv_report import SLAB_BOUNDS; print(SLAB_BOUNDS)')
slabs() {  # <prefix> -> k0 members,k1 members,...
  for k in 0 1 2 3; do
    printf '%s' "$([ $k = 0 ] || echo ,)"
    for i in $(seq 0 $((SEEDS - 1))); do printf '%s%s-k%s-seed%s' "$([ $i = 0 ] || echo +)" "$1" "$k" "$i"; done
  done
}
for r in ship s41v; do
  o=$R/split-cv-session41-$r-x$SEEDS-fresh.json
  [ -f "$o" ] || $PY training/split_cv.py --bounds="$B" --slabs "$(slabs $r)" --test fresh --out "$o" > "$R/logs/split-cv-session41-$r-x$SEEDS.log" 2>&1
done
echo "vessel_score.sh: done"
