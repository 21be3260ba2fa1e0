#!/bin/sh
# Session 20: the shipped recipe (run_all.sh's s4-* slab members) plus lower doses
# (train_char.py --low-dose: LIDC-IDRI-0002 with noise x2 / x3 from lowdose_experiment.sh train,
# and LIDC-IDRI-0001's real noise x2 / x3 copies among its cross-fitted real negatives):
# 8 members ld-k<slab>-seed<0,1>, two at a time.
set -eu
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
A="--steps ${STEPS:-3000} --max-minutes ${MINUTES:-50} --batch 64 --eval-every 100 --hnm-every 300 --max-negatives 450"
B=$($PY -c 'import sys; sys.path.insert(0, "training"); from cv_report import SLAB_BOUNDS; print(SLAB_BOUNDS)')
mkdir -p training/runs/logs
slab() {
  n="ld-k$1-seed$2"
  [ -f "training/runs/char/$n/model.pt" ] || $PY training/train_char.py --name "$n" --seed "$2" --train LIDC-IDRI-0002 \
    --real-negatives "LIDC-IDRI-0001:slab:$1:$B" --real-negative-share 0.5 --low-dose $A > "training/runs/logs/$n.log" 2>&1
}
for i in 0 1; do
  slab 0 "$i" & slab 1 "$i"; wait
  slab 2 "$i" & slab 3 "$i"; wait
done
echo trained
