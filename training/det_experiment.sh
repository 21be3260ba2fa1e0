#!/bin/sh
# Session 43: does a U-Net trained with the vessel-mix series see the juxtavascular nodules that
# neither the blob detector nor the shipped v1 U-Net make a candidate of (stage 1 is the ceiling of
# issue 10's >= 4 mm target)? det-v4 = session 19's det-v3 recipe (train_det.py --steps 2000
# --small-weight 6) on its 45 LIDC-IDRI-0002 model-grid volumes plus the 12 vessel-mix series
# (0002 seeds 301-312, 80% of their nodules on a vessel); only the data differ. LIDC-IDRI-0001 is
# never read in training. Stage 1 is measured on LIDC-IDRI-0001 insertions: the app's own stage 1
# (mine_candidates.ts) with the trial models folder, candidate lists only (the cubes are dropped:
# no member trains on them yet), against the shipped detector's lists in runs/mined.
# Resumable. Writes training/stage1-recall-det-v4.txt.
set -eu
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
R=training/runs
. training/recipe_series.sh
mkdir -p $R/logs $R/det-src $R/grid
ln -sfn "$(realpath "$(dirname "$(find .cache/LIDC-IDRI-0002/ -name '*.dcm' | head -n 1)")")" $R/det-src/LIDC-IDRI-0002
VESSEL="$(for s in $(seq 301 312); do printf 'LIDC-IDRI-0002-v-s%s ' $s; done)"
nice -n 5 node --import tsx training/dump_grid.ts $R/grid $R/det-src/LIDC-IDRI-0002 \
  $(for n in $RECIPE $VESSEL; do echo $R/insert/$n; done)
# Session 43's weights (the ones every figure was measured with) are kept in training/trial/det-v4;
# TRAIN=1 trains them again instead (~27 min on 2 cores).
if [ ! -f $R/det/det-v4/detector.pt ] && [ "${TRAIN:-0}" != 1 ]; then
  mkdir -p $R/det/det-v4 && cp training/trial/det-v4/* $R/det/det-v4/
fi
[ -f $R/det/det-v4/detector.pt ] || nice -n 10 $PY training/train_det.py --name det-v4 --steps 2000 --small-weight 6 \
  --threads 2 --max-minutes 70 > $R/logs/det-v4.log 2>&1
[ -f $R/models-det-v4/manifest.json ] || $PY training/stage_models.py $R/det/det-v4/detector.pt $R/models-det-v4
M=$R/mined-dv4
mkdir -p $M
CAL="1 2 3 4"; DEV="5 6 7 8 9 10 11 12"; TEST="41 42 43 44 45 46 47 48"; FRESH="49 50 51 52 53 54 55 56"
for s in $DEV $TEST $CAL $FRESH; do
  n=LIDC-IDRI-0001-s$s
  [ -f $M/$n.json ] && continue
  MINE_MODELS=$R/models-det-v4 nice -n 10 sh training/mine_series.sh $R/insert/$n $M/$n
  rm -f $M/$n.cubes.f32
done
out=training/stage1-recall-det-v4.txt
: > $out.tmp
for set in "calibration:$CAL" "dev:$DEV" "card test:$TEST" "fresh test:$FRESH"; do
  echo "## ${set%%:*} (LIDC-IDRI-0001 seeds ${set#*:})" >> $out.tmp
  $PY training/stage1_mined_recall.py --mined $R/mined $M --union \
    --series $(for s in ${set#*:}; do printf 'LIDC-IDRI-0001-s%s ' $s; done) >> $out.tmp
  $PY training/stage1_mined_recall.py --mined $R/mined $M --source unet both \
    --series $(for s in ${set#*:}; do printf 'LIDC-IDRI-0001-s%s ' $s; done) | sed 's/^/U-Net only: /' >> $out.tmp
done
mv $out.tmp $out
cat $out
