#!/bin/sh
# Session 11's experiments (training/README.md, "Tried in session 11"; none shipped), after
# run_all.sh has made and mined the series (including the sharp-kernel copies):
#  - dg-0001: the fold trained on LIDC-IDRI-0001 with the dense-tissue gain augmentation
#    (train_char.py --dense-gain 0.5), against cv-0001 on the LIDC-IDRI-0002 insertions;
#  - kd-0002-seed0-3: LIDC-IDRI-0002 with its sharp-kernel copies and the gain; k-0002-seed0-2: the
#    sharp-kernel copies alone; kd-0001: the other fold with both;
#  - their comparison with the shipped ensemble on calibration, sharp-kernel calibration and the
#    real LIDC-IDRI-0001 with its sharp copies (sharp_check.py).
# Runs one at a time: loading LIDC-IDRI-0002 with its sharp copies peaks near 15 GB.
set -eu
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
A="--steps 3000 --max-minutes 50 --batch 64 --eval-every 100 --hnm-every 300"
t() { n=$1; shift; [ -f "training/runs/char/$n/model.pt" ] || nice -n 10 $PY training/train_char.py --name "$n" "$@" $A > "training/runs/logs/$n.log" 2>&1; }
t dg-0001 --train LIDC-IDRI-0001 --val LIDC-IDRI-0002 --dense-gain 0.5
for i in 0 1 2 3; do t kd-0002-seed$i --seed $i --train LIDC-IDRI-0002 --val LIDC-IDRI-0001 --val-seeds 5-24 --sharp-kernels --dense-gain 0.5; done
for i in 0 1 2; do t k-0002-seed$i --seed $i --train LIDC-IDRI-0002 --val LIDC-IDRI-0001 --val-seeds 5-24 --sharp-kernels; done
t kd-0001 --train LIDC-IDRI-0001 --val LIDC-IDRI-0002 --sharp-kernels --dense-gain 0.5
for k in 15 3; do
  sharp=training/runs/sharp/LIDC-IDRI-0001-k$k
  [ -f "$sharp.json" ] || $PY training/insert_nodules.py --study 0001 --seed 0 --count 0 --sharpen "$(echo "$k" | sed 's/^\(.\)\(.\)$/\1.\2/')" --out "$sharp"
  [ -f "training/runs/sharp-mined/LIDC-IDRI-0001-k$k.json" ] || node --import tsx training/mine_candidates.ts "$sharp" --out "training/runs/sharp-mined/LIDC-IDRI-0001-k$k"
done
# Each variant at the threshold select_char.py gives it on the calibration seeds (runs/selection.*.json).
$PY training/sharp_check.py rc-0002-seed0+rc-0002-seed1+rc-0002-seed2+rc-0002-seed3@0.8427 \
  kd-0002-seed0+kd-0002-seed1+kd-0002-seed2+kd-0002-seed3@0.6174 k-0002-seed0+k-0002-seed1+k-0002-seed2@0.8090
