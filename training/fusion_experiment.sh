#!/bin/sh
# Session 43: the shipped members fused with det-v4's heatmap (training/README.md "Session 43,
# second half"). Needs det_experiment.sh's staged models folder (runs/models-det-v4) and the mined
# scored series and real copies (run_all.sh / mine_all.sh). Resumable; writes
# training/fusion-check-det-v4.json and training/fusion-check-v1.json.
set -eu
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
R=training/runs
[ -f $R/models-det-v4/manifest.json ] || sh training/det_experiment.sh
mkdir -p $R/det-src
ln -sfn "$(realpath "$(dirname "$(find .cache/LIDC-IDRI-0001/ -name '*.dcm' | head -n 1)")")" $R/det-src/LIDC-IDRI-0001
H="node --import tsx training/heatmap_at_candidates.ts --out $R/heat --models models --models $R/models-det-v4"
SCORED=$(for s in $(seq 1 12) $(seq 41 56); do printf 'LIDC-IDRI-0001-s%s ' $s; done)
SCORED="$SCORED $(for n in k15-s85 k15-s86 k3-s87 k3-s88 k15-s89 k15-s90 k3-s91 k3-s92; do printf 'LIDC-IDRI-0001-%s ' $n; done)"
SCORED="$SCORED $(for s in $(seq 71 78); do printf 'LIDC-IDRI-0001-t2-s%s ' $s; done)"
nice -n 5 $H --mined $R/mined $(for n in $SCORED; do echo $R/insert/$n; done)
nice -n 5 $H --mined $R/mined $R/det-src/LIDC-IDRI-0001
nice -n 5 $H --mined $R/sharp-mined $R/sharp/LIDC-IDRI-0001-k15 $R/sharp/LIDC-IDRI-0001-k3
nice -n 5 $H --mined $R/thick-mined $R/thick/LIDC-IDRI-0001-t2
# Session 44 (shipped): cv_report.py scores the fused model on the previous test seeds 33-40, the 5 mm
# seeds 79-80 and the training scan LIDC-IDRI-0002 and its real thick copies too: det-v4's heat there.
ln -sfn "$(realpath "$(dirname "$(find .cache/LIDC-IDRI-0002/ -name '*.dcm' | head -n 1)")")" $R/det-src/LIDC-IDRI-0002
H4="node --import tsx training/heatmap_at_candidates.ts --out $R/heat --models $R/models-det-v4"
nice -n 5 $H4 --mined $R/mined $(for s in $(seq 33 40); do printf '%s/insert/LIDC-IDRI-0001-s%s ' $R $s; done) \
  $R/insert/LIDC-IDRI-0001-t2-s79 $R/insert/LIDC-IDRI-0001-t2-s80 $R/det-src/LIDC-IDRI-0002 \
  $R/insert/LIDC-IDRI-0002-t2-s20 $R/insert/LIDC-IDRI-0002-t3-s30 $R/insert/LIDC-IDRI-0002-t4-s40
nice -n 5 $PY training/fusion_check.py --heat $R/heat --models $R/models-det-v4 --out training/fusion-check-det-v4.json
nice -n 5 $PY training/fusion_check.py --heat $R/heat --models models --out training/fusion-check-v1.json
