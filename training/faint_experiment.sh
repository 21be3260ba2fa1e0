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
. training/recipe_series.sh
# 1. run_all.sh's LIDC-IDRI-0002 series that this machine does not have.
insert_recipe
# The faint series, under insert/ as LIDC-IDRI-0002-f-s<seed> (mine_all.sh skips -f- series).
for s in $(seq 201 212); do
  o=$R/insert-faint/LIDC-IDRI-0002-s$s
  [ -f "$o.json" ] || $PY training/insert_nodules.py --study 0002 --seed "$s" --count 24 --mix faint --out "$o"
  f=$R/insert/LIDC-IDRI-0002-f-s$s
  [ -e "$f" ] || ln -s "../insert-faint/LIDC-IDRI-0002-s$s" "$f"
  [ -e "$f.json" ] || ln -s "../insert-faint/LIDC-IDRI-0002-s$s.json" "$f.json"
done
$PY training/site_check.py
# 2. Mined: the recipe's series into runs/mined (exactly these; 0002 seeds 11-12 and the sharp
# copies there are other experiments' and stay out of the recipe), the real copies of LIDC-IDRI-0001,
# and the faint series into their own folder.
mine_recipe
F=$R/mined-s40-faint
mkdir -p $F
for s in $(seq 201 212); do mine $R/insert/LIDC-IDRI-0002-f-s$s $F/LIDC-IDRI-0002-f-s$s; done
link_recipe $F
# 3. Extra positives around every inserted nodule of the training series (run_all.sh's --per-nodule 8).
nice -n 10 $PY training/extra_positives.py --per-nodule 8 $RECIPE $(for s in $(seq 201 212); do printf 'LIDC-IDRI-0002-f-s%s ' $s; done)
# 4. The members, one at a time (run_all.sh's s4 recipe: slab() and its arguments).
for i in 0 1; do for k in 0 1 2 3; do
  member "s40b-k$k-seed$i" $k $i
  member "s40f-k$k-seed$i" $k $i "PULMOLENS_MINED=$F"
done; done
echo "faint_experiment.sh: done"
