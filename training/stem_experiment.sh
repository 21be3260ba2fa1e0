#!/bin/sh
# Session 30: the s4 recipe (session 15's data, split and steps) with another characterizer stem,
# against the same recipe's 26-ray members (`s4-k*-seed0`, session 27); training/README.md "Session 30".
#   cnn: the conv stem + Transformer (`train_char.py --arch cnn`), which sees the whole cube and
#        trains with +-2 mm shifts (the ray stem's score is tied to the candidate voxel, session 17);
#        ~30 min a member here.
#   r98: 98 rays to the 5x5x5 shell (`--ray-shell 2`, about 22 degrees apart instead of 45: a 3 mm
#        vessel 10 mm out can fall between two of the 26 rays); ~15 min a member.
# Members are named s4cnn-* / s4r98-*. Resumable; nothing touches models/. SEEDS="0" trains one
# member per slab.  sh training/stem_experiment.sh cnn|r98
set -eu
cd "$(dirname "$0")/.."
case "${1:-}" in
  cnn) V="--arch cnn --max-minutes 90" ;;
  r98) V="--ray-shell 2 --max-minutes 50" ;;
  *) echo "usage: $0 cnn|r98" >&2; exit 2 ;;
esac
R=s4$1
PY=/usr/bin/python3
mkdir -p training/runs/logs
A="$V --steps 3000 --batch 64 --eval-every 100 --hnm-every 300 --max-negatives 450"
B=$($PY -c 'import sys; sys.path.insert(0, "training"); from cv_report import SLAB_BOUNDS; print(SLAB_BOUNDS)')
slab() { # <slab> <seed>
  n=$R-k$1-seed$2
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
o="training/runs/split-cv-session30-$R-seeds$tag-fresh.json"
[ -f "$o" ] || $PY training/split_cv.py --bounds="$B" --slabs "$(slabs "$R")" --test fresh --out "$o" \
  > "training/runs/logs/split-cv-session30-$R-seeds$tag.log" 2>&1
# The two stems' members averaged per slab (the "both" row of the README's table).
if [ "$1" = cnn ]; then
  o="training/runs/split-cv-session30-hybrid-seeds$tag-fresh.json"
  both=$(for k in 0 1 2 3; do printf '%s' "$([ $k = 0 ] || echo ,)$(for i in $SEEDS; do printf '+s4-k%s-seed%s+s4cnn-k%s-seed%s' "$k" "$i" "$k" "$i"; done | cut -c2-)"; done)
  [ -f "$o" ] || $PY training/split_cv.py --bounds="$B" --slabs "$both" --test fresh --out "$o" \
    > "training/runs/logs/split-cv-session30-hybrid-seeds$tag.log" 2>&1
fi
echo done
