#!/bin/sh
# Session 29: the s4 recipe with LIDC-IDRI-0002's candidates at the positions its regridded copies
# put them (copy_positions.ts; the scan's own cubes there) added as real negatives, against the same
# recipe without them (s4-*, session 27). Every 0002-based mined series gets the first 800 new
# positions of one shuffled list (mine_thickness.ts --positions: its cubes from that series, so near
# an inserted nodule they are positives); every other series an empty delta. Resumable; nothing
# touches models/. SEEDS="0" trains one member per slab.
set -eu
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
OUT=training/runs/mined-copies
mkdir -p "$OUT" training/runs/copies training/runs/logs
src=$(dirname "$(find .cache/LIDC-IDRI-0002/ -name '*.dcm' | head -n 1)")
pos=training/runs/copies/LIDC-IDRI-0002.positions.json
[ -f "$pos" ] || node --import tsx training/copy_positions.ts "$src" --out "$pos"
shuffled=training/runs/copies/LIDC-IDRI-0002.shuffled.json
[ -f "$shuffled" ] || $PY -c "
import json, random, sys
d = json.load(open(sys.argv[1])); random.Random(29).shuffle(d['candidates']); d['shuffled'] = 'random.Random(29)'
json.dump(d, open(sys.argv[2], 'w'))" "$pos" "$shuffled"
delta() { # <dicom folder> <base mined prefix> <name>
  [ -f "$OUT/$3.json" ] && return 0
  rm -f "$OUT/$3.tmp.json" "$OUT/$3.tmp.cubes.f32"
  node --import tsx training/mine_thickness.ts "$1" --mined "$2" --out "$OUT/$3.tmp" --positions "$shuffled" --quota 800
  mv "$OUT/$3.tmp.cubes.f32" "$OUT/$3.cubes.f32"
  mv "$OUT/$3.tmp.json" "$OUT/$3.json"
}
empty() { # <base mined prefix> <name>
  [ -f "$OUT/$2.json" ] && return 0
  $PY -c "
import json, sys
m = json.load(open(sys.argv[1] + '.json'))
json.dump({'seriesInstanceUid': m['seriesInstanceUid'], 'candidates': []}, open(sys.argv[2] + '.json', 'w'))
open(sys.argv[2] + '.cubes.f32', 'wb').close()" "$1" "$OUT/$2"
}
delta "$src" training/runs/mined/LIDC-IDRI-0002 LIDC-IDRI-0002
for j in training/runs/mined/*.json training/runs/thick-mined/*.json training/runs/sharp-mined/*.json; do
  n=$(basename "$j" .json)
  case "$n" in
    LIDC-IDRI-0002) ;;
    LIDC-IDRI-0002-*) delta "training/runs/insert/$n" "${j%.json}" "$n" ;;
    *) empty "${j%.json}" "$n" ;;
  esac
done
A="--steps 3000 --max-minutes 50 --batch 64 --eval-every 100 --hnm-every 300 --max-negatives 450"
B=$($PY -c 'import sys; sys.path.insert(0, "training"); from cv_report import SLAB_BOUNDS; print(SLAB_BOUNDS)')
slab() { # <prefix> <slab> <seed>
  n=$1-k$2-seed$3
  [ -f "training/runs/char/$n/model.pt" ] && return 0
  $PY training/train_char.py --name "$n" --seed "$3" --train LIDC-IDRI-0002 \
    --real-negatives "LIDC-IDRI-0001:slab:$2:$B" --real-negative-share 0.5 $A > "training/runs/logs/$n.log" 2>&1
}
s4c() { PULMOLENS_MINED_ADD=$OUT slab s4c "$@"; }
SEEDS=${SEEDS:-0 1}
for i in $SEEDS; do
  s4c 0 "$i" & s4c 1 "$i"; wait
  s4c 2 "$i" & s4c 3 "$i"; wait
done
slabs() { for k in 0 1 2 3; do printf '%s' "$([ $k = 0 ] || echo ,)$(for i in $SEEDS; do printf '+%s-k%s-seed%s' "$1" "$k" "$i"; done | cut -c2-)"; done; }
tag=$(echo "$SEEDS" | tr -d ' ')
# Scored on the usual candidates (no delta): the app's stage 1 is unchanged.
for r in s4c s4; do
  o="training/runs/split-cv-session29-$r-seeds$tag-fresh.json"
  [ -f "$o" ] || $PY training/split_cv.py --bounds="$B" --slabs "$(slabs $r)" --test fresh --out "$o" \
    > "training/runs/logs/split-cv-session29-$r-seeds$tag.log" 2>&1
done
echo done
