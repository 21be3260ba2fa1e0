#!/bin/sh
# Session 40 (an experiment, not in run_all.sh; training/README): do the members learn a faint
# part-solid rim when LIDC-IDRI-0002's faint insertions (insert_nodules.py --mix faint, seeds
# 201-212) join their positives? Sessions 39-40: no read-out of the shipped members' frozen
# features tells a faint rim from a solid nodule's blurred edge, so the members themselves must.
# Two 4 x 2 member sets with run_all.sh's shipped s4 recipe, both trained here on today's stage-1
# candidates (session 26: the shipped weights are not a same-machine baseline):
#   s40b-k<slab>-seed<i>  the recipe's series (runs/mined)
#   s40f-k<slab>-seed<i>  the same plus the 12 faint series (PULMOLENS_MINED=runs/mined-s40-faint:
#                         links to runs/mined and the real copies, plus the faint series mined)
# Then score both (not here: see training/README, session 40). Resumable; one trainer at a time
# (nice), so other work can run beside it. Needs ~25 GB of disk for the mined cubes.
set -eu
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
R=training/runs
STEPS=${STEPS:-3000}
MINUTES=${MINUTES:-50}
mkdir -p $R/logs
# 1. run_all.sh's LIDC-IDRI-0002 series that this machine does not have (the same seeds and flags).
for job in "20 2 0" "21 2" "22 2" "23 2" "24 2" "25 2" "26 2" "27 2" "28 2" "29 2" "30 2" \
  "30 3 0" "31 3" "32 3" "33 3" "34 3" "35 3" "36 3" "37 3" "38 3" "39 3" "40 3" \
  "40 4 0" "41 4" "42 4" "43 4" "44 4" "45 4" "46 4" "47 4" "48 4" "49 4" "50 4"; do
  set -- $job
  out=$R/insert/LIDC-IDRI-0002-t$2-s$1
  [ -f "$out.json" ] || $PY training/insert_nodules.py --study 0002 --seed "$1" --count "${3:-24}" --thicken "$2" --out "$out"
done
for s in 1 2 3 4 5 6 7 8 9 10; do
  out=$R/insert/LIDC-IDRI-0002-s$s
  [ -f "$out.json" ] || $PY training/insert_nodules.py --study 0002 --seed $s --count 24 --out "$out"
done
out=$R/insert/LIDC-IDRI-0002-h-s51
[ -f "$out.json" ] || $PY training/insert_nodules.py --study 0002 --seed 51 --count 24 --mix hard --out "$out"
# The faint series, under insert/ as LIDC-IDRI-0002-f-s<seed> (mine_all.sh skips -f- series).
for s in $(seq 201 212); do
  f=$R/insert/LIDC-IDRI-0002-f-s$s
  [ -e "$f" ] || ln -s "../insert-faint/LIDC-IDRI-0002-s$s" "$f"
  [ -e "$f.json" ] || ln -s "../insert-faint/LIDC-IDRI-0002-s$s.json" "$f.json"
done
$PY training/site_check.py
# 2. Mined: the recipe's series into runs/mined (exactly these; 0002 seeds 11-12 and the sharp
# copies there are other experiments' and stay out of the recipe), the real copies of LIDC-IDRI-0001,
# and the faint series into their own folder.
mine() { nice -n 10 sh training/mine_series.sh "$@"; }  # <series dir> <out prefix>
RECIPE="$(for s in 1 2 3 4 5 6 7 8 9 10; do printf 'LIDC-IDRI-0002-s%s ' $s; done)
  $(for s in $(seq 20 30); do printf 'LIDC-IDRI-0002-t2-s%s ' $s; done)
  $(for s in $(seq 30 40); do printf 'LIDC-IDRI-0002-t3-s%s ' $s; done)
  $(for s in $(seq 40 50); do printf 'LIDC-IDRI-0002-t4-s%s ' $s; done) LIDC-IDRI-0002-h-s51"
for n in $RECIPE; do mine $R/insert/$n $R/mined/$n; done
sh training/mine_real_copies.sh
F=$R/mined-s40-faint
mkdir -p $F
for s in $(seq 201 212); do mine $R/insert/LIDC-IDRI-0002-f-s$s $F/LIDC-IDRI-0002-f-s$s; done
for p in $R/mined/*.json $R/sharp-mined/*.json $R/thick-mined/*.json; do
  b=$(basename "$p" .json)
  [ -e "$F/$b.json" ] || ln -s "$(realpath "$p")" "$F/$b.json"
  [ -e "$F/$b.cubes.f32" ] || ln -s "$(realpath "${p%.json}.cubes.f32")" "$F/$b.cubes.f32"
done
# 3. Extra positives around every inserted nodule of the training series (run_all.sh's --per-nodule 8).
nice -n 10 $PY training/extra_positives.py --per-nodule 8 $RECIPE $(for s in $(seq 201 212); do printf 'LIDC-IDRI-0002-f-s%s ' $s; done)
# 4. The members, one at a time (run_all.sh's s4 recipe: slab() and its arguments).
B=$($PY -c 'import sys; sys.path.insert(0, "training"); from cv_report import SLAB_BOUNDS; print(SLAB_BOUNDS)')
A="--steps $STEPS --max-minutes $MINUTES --batch 64 --eval-every 100 --hnm-every 300 --max-negatives 450"
member() {  # <name> <slab> <seed> [env]
  [ -f "$R/char/$1/model.pt" ] && return 0
  env ${4:-} nice -n 10 $PY training/train_char.py --name "$1" --seed "$3" --train LIDC-IDRI-0002 \
    --real-negatives "LIDC-IDRI-0001:slab:$2:$B" --real-negative-share 0.5 $A > "$R/logs/$1.log" 2>&1
}
for i in 0 1; do for k in 0 1 2 3; do
  member "s40b-k$k-seed$i" $k $i
  member "s40f-k$k-seed$i" $k $i "PULMOLENS_MINED=$F"
done; done
echo "faint_experiment.sh: done"
