#!/bin/sh
# Session 30: the s4 recipe (session 15's data, split and steps) with the conv-stem characterizer
# (`train_char.py --arch cnn`: a 3D conv stem over the whole 2-channel cube + the same Transformer)
# instead of the fixed ray stem, against the same recipe's ray members (`s4-k*-seed0`, session 27).
# Why: the ray stem samples from the cube's centre voxel, so its score is tied to where the
# candidate sits (session 17), and juxtavascular nodules, whose candidate sits 1-4 mm off on the
# vessel, are the weakest group (test 0.500 at 1 FP/scan against 0.700 with a candidate at all).
# A conv stem sees the cube around the candidate and trains with +-2 mm shifts (train_char.augment).
# Resumable; nothing touches models/. SEEDS="0" trains one member per slab.
set -eu
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
mkdir -p training/runs/logs
A="--arch cnn --steps 3000 --max-minutes 90 --batch 64 --eval-every 100 --hnm-every 300 --max-negatives 450"
B=$($PY -c 'import sys; sys.path.insert(0, "training"); from cv_report import SLAB_BOUNDS; print(SLAB_BOUNDS)')
slab() { # <slab> <seed>
  n=s4cnn-k$1-seed$2
  [ -f "training/runs/char/$n/model.pt" ] && return 0
  $PY training/train_char.py --name "$n" --seed "$2" --train LIDC-IDRI-0002 \
    --real-negatives "LIDC-IDRI-0001:slab:$1:$B" --real-negative-share 0.5 $A > "training/runs/logs/$n.log" 2>&1
}
SEEDS=${SEEDS:-0 1}
for i in $SEEDS; do
  slab 0 "$i" & slab 1 "$i"; wait
  slab 2 "$i" & slab 3 "$i"; wait
done
slabs() { for k in 0 1 2 3; do printf '%s' "$([ $k = 0 ] || echo ,)$(for i in $SEEDS; do printf '+%s-k%s-seed%s' "$1" "$k" "$i"; done | cut -c2-)"; done; }
tag=$(echo "$SEEDS" | tr -d ' ')
o="training/runs/split-cv-session30-s4cnn-seeds$tag-fresh.json"
[ -f "$o" ] || $PY training/split_cv.py --bounds="$B" --slabs "$(slabs s4cnn)" --test fresh --out "$o" \
  > "training/runs/logs/split-cv-session30-s4cnn-seeds$tag.log" 2>&1
echo done
