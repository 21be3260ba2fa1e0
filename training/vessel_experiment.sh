#!/bin/sh
# Session 41 (the experiment; shipped in session 42, when run_all.sh took these series into its
# recipe and its members' names; training/README): do more juxtavascular positives
# lift the shipped recipe's weakest site? On the held-out insertions (model card, seeds 41-48)
# juxtavascular nodules are found 0.50 at 1 FP/scan and 0.70 are a candidate at all (free 0.91,
# juxtapleural 0.86), and they are most of the >= 6 mm and 3-6 mm nodules the characterizer loses.
# Members s41v-k<slab>-seed<i>: run_all.sh's s4 recipe plus 12 LIDC-IDRI-0002 series of the
# 'vessel' mix (insert_nodules.py --mix vessel: the default kinds and sizes, 80% on a vessel;
# seeds 301-312, at the scan's own 1.25 mm), trained on today's stage-1 candidates, seed 0 of every
# slab first. Scored against the shipped members on the same series by training/vessel_score.sh.
# Resumable; one trainer at a time (nice), so other work can run beside it.
set -eu
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
R=training/runs
. training/recipe_series.sh
mkdir -p $R/logs
insert_recipe
VESSEL="$(for s in $(seq 301 312); do printf 'LIDC-IDRI-0002-v-s%s ' $s; done)"
for s in $(seq 301 312); do
  out=$R/insert/LIDC-IDRI-0002-v-s$s
  [ -f "$out.json" ] || $PY training/insert_nodules.py --study 0002 --seed "$s" --count 24 --mix vessel --out "$out"
done
$PY training/site_check.py
mine_recipe
V=$R/mined-s41-vessel
for n in $VESSEL; do mine "$R/insert/$n" "$V/$n"; done
link_recipe $V
nice -n 10 $PY training/extra_positives.py --per-nodule 8 $RECIPE $VESSEL
for i in 0 1; do for k in 0 1 2 3; do member "s41v-k$k-seed$i" $k $i "PULMOLENS_MINED=$V"; done; done
echo "vessel_experiment.sh: done"
