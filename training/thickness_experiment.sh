#!/bin/sh
# Session 25: the characterizer members retrained with stage 1's thickness source on (the app with
# THICKNESS_SOURCE = true in src/core/inference/stage1.ts), against the same recipe without it, both
# trained here on today's mined candidates and scored by split_cv.py --test fresh (the choosing sets
# and rules of sessions 14-19). Every step is resumable; nothing touches models/.
#   t4-k<slab>-seed<i>: run_all.sh's s4 recipe on the mined series plus their thickness delta
#                       (mine_thickness_all.sh, PULMOLENS_MINED_ADD; the first 400 of each)
#   s4-k<slab>-seed<i>: the recipe as shipped, on today's mined series (the baseline)
set -eu
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
mkdir -p training/runs/logs
sh training/mine_all.sh
sh training/mine_real_copies.sh
# Extra positives of the training background's series only (the recipe trains on no other).
$PY training/extra_positives.py --per-nodule 8 $(for j in training/runs/insert/LIDC-IDRI-0002-*.json; do case "$j" in *.sites.json) ;; *) basename "$j" .json ;; esac; done)
# The deltas of the series the runs below read (the training background's, LIDC-IDRI-0001 and its
# real copies, split_cv.py's choosing and fresh test sets), not every mined series (disk).
need="LIDC-IDRI-0001 LIDC-IDRI-0002 LIDC-IDRI-0001-t2 LIDC-IDRI-0001-k15 LIDC-IDRI-0001-k3"
for j in training/runs/insert/LIDC-IDRI-0002-*.json; do case "$j" in *.sites.json) ;; *) need="$need $(basename "$j" .json)" ;; esac; done
for s in 1 2 3 4 5 6 7 8 9 10 11 12 49 50 51 52 53 54 55 56; do need="$need LIDC-IDRI-0001-s$s"; done
for s in 85 86 93 94; do need="$need LIDC-IDRI-0001-k15-s$s"; done
for s in 87 88 95 96; do need="$need LIDC-IDRI-0001-k3-s$s"; done
for s in 71 72 73 74 75 76 77 78 79 80; do need="$need LIDC-IDRI-0001-t2-s$s"; done
sh training/mine_thickness_all.sh $need
A="--steps 3000 --max-minutes 50 --batch 64 --eval-every 100 --hnm-every 300 --max-negatives 450"
B=$($PY -c 'import sys; sys.path.insert(0, "training"); from cv_report import SLAB_BOUNDS; print(SLAB_BOUNDS)')
slab() { # <prefix> <slab> <seed> [env...]
  n=$1-k$2-seed$3
  [ -f "training/runs/char/$n/model.pt" ] && return 0
  $PY training/train_char.py --name "$n" --seed "$3" --train LIDC-IDRI-0002 \
    --real-negatives "LIDC-IDRI-0001:slab:$2:$B" --real-negative-share 0.5 $A > "training/runs/logs/$n.log" 2>&1
}
t4() { PULMOLENS_MINED_ADD=training/runs/mined-thickness PULMOLENS_MINED_ADD_QUOTA=400 slab t4 "$@"; }
s4() { slab s4 "$@"; }
# SEEDS="0" trains one member per slab of each (a pair of trainings takes ~12 min here: the cubes
# load one trainer at a time); a trainer of an earlier run still going is waited for, not doubled.
SEEDS=${SEEDS:-0 1}
while pgrep -f training/train_char.py > /dev/null; do sleep 20; done
for i in $SEEDS; do
  t4 0 "$i" & t4 1 "$i"; wait
  t4 2 "$i" & t4 3 "$i"; wait
done
for i in $SEEDS; do
  s4 0 "$i" & s4 1 "$i"; wait
  s4 2 "$i" & s4 3 "$i"; wait
done
slabs() { for k in 0 1 2 3; do printf '%s' "$([ $k = 0 ] || echo ,)$(for i in $SEEDS; do printf '+%s-k%s-seed%s' "$1" "$k" "$i"; done | cut -c2-)"; done; }
# One file per recipe and set of seeds (SEEDS="0": ...-seeds0-fresh.json, "0 1": ...-seeds01-...).
tag=$(echo "$SEEDS" | tr -d ' ')
out() { echo "training/runs/split-cv-session25-$1-seeds$tag-fresh.json"; }
[ -f "$(out t4)" ] ||
  PULMOLENS_MINED_ADD=training/runs/mined-thickness PULMOLENS_MINED_ADD_QUOTA=400 $PY training/split_cv.py --bounds="$B" --slabs "$(slabs t4)" \
  --test fresh --out "$(out t4)" > "training/runs/logs/split-cv-t4-seeds$tag.log" 2>&1
[ -f "$(out s4)" ] ||
  $PY training/split_cv.py --bounds="$B" --slabs "$(slabs s4)" \
  --test fresh --out "$(out s4)" > "training/runs/logs/split-cv-s4-seeds$tag.log" 2>&1
echo done
