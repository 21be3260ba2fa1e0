#!/bin/sh
# Session 30: the s4 recipe (session 15's data, split and steps) with 98 rays per cube instead of 26
# (`train_char.py --ray-shell 2`: the directions to the 5x5x5 shell, about 22 degrees apart instead
# of 45), against the same recipe's 26-ray members (`s4-k*-seed0`, session 27). Why: at 45 degrees a
# 3 mm vessel 10 mm from the candidate can fall between two rays, so a nodule beside a vessel and a
# vessel junction read alike (juxtavascular nodules are the weakest group). Resumable; nothing
# touches models/. SEEDS="0" trains one member per slab.
set -eu
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
mkdir -p training/runs/logs
A="--ray-shell 2 --steps 3000 --max-minutes 50 --batch 64 --eval-every 100 --hnm-every 300 --max-negatives 450"
B=$($PY -c 'import sys; sys.path.insert(0, "training"); from cv_report import SLAB_BOUNDS; print(SLAB_BOUNDS)')
slab() { # <slab> <seed>
  n=s4r98-k$1-seed$2
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
o="training/runs/split-cv-session30-s4r98-seeds$tag-fresh.json"
[ -f "$o" ] || $PY training/split_cv.py --bounds="$B" --slabs "$(slabs s4r98)" --test fresh --out "$o" \
  > "training/runs/logs/split-cv-session30-s4r98-seeds$tag.log" 2>&1
echo done
