#!/bin/sh
# Session 40 (an experiment, not in run_all.sh; training/README): the type-head refit of
# type_head.sh for series of thin slices only (<= 2.5 mm; a thicker series would keep the shipped
# heads), with a solid guard: a logit margin for the solid class chosen with lambda so that no
# listed solid nodule of the choosing series is called otherwise (the shipped heads call none).
# Trains on LIDC-IDRI-0002 as acquired, faint and sharp-kernel series; chooses on LIDC-IDRI-0001
# seeds 1-12 (the model card's calibration and development seeds), faint 201-212 and sharp 85-88;
# faint 213-224 is read after. Then the app's types on faint 213-224 and seeds 41-48, and
# attribute_check.py. Needs type_head.sh's insertions; resumable.
set -eu
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
R=training/runs
M=$R/type-mined
OUT=$R/type-head
ins() { p=$1; shift; for s in "$@"; do printf '%s ' "$R/insert/$p-s$s"; done; }
sh training/type_mine.sh $(ins LIDC-IDRI-0001 $(seq 1 12))
npz() { p=$1; shift; for s in "$@"; do printf '%s ' "$M/$p-s$s.npz"; done; }
TRAIN="$(npz LIDC-IDRI-0002 $(seq 1 12)) $(npz LIDC-IDRI-0002 $(seq 201 212)) $(npz LIDC-IDRI-0002-k15 61 62) $(npz LIDC-IDRI-0002-k3 66 67)"
CHOOSE="$(npz LIDC-IDRI-0001 $(seq 1 12)) $(npz LIDC-IDRI-0001 $(seq 201 212)) $(npz LIDC-IDRI-0001-k15 85 86) $(npz LIDC-IDRI-0001-k3 87 88)"
TEST="$(npz LIDC-IDRI-0001 $(seq 213 224))"
[ -f $OUT/base-characterizer.onnx ] || cp models/characterizer.onnx $OUT/base-characterizer.onnx
[ -f $OUT/thin/heads.pt ] || $PY training/type_head.py fit --onnx $OUT/base-characterizer.onnx --solid-guard \
  --solid-margins 0 0.25 0.5 0.75 1 1.5 2 3 --train $TRAIN --choose $CHOOSE --test $TEST --out $OUT/thin
# The refitted heads in place of the shipped ones (the thin series' view of the app and its sets).
[ -d $OUT/models-thin ] || $PY training/type_head.py export --onnx $OUT/base-characterizer.onnx --heads $OUT/thin/heads.pt --models $OUT/models-thin
names() { p=$1; shift; for s in "$@"; do printf '%s ' "$p-s$s"; done; }
[ -f $OUT/tc-faint2-0001-thin.json ] || node --import tsx training/type_check.ts --insert $R/insert-faint2 --models $OUT/models-thin \
  --out $OUT/tc-faint2-0001-thin.json $(names LIDC-IDRI-0001 $(seq 213 224))
[ -f $OUT/tc-41-48-thin.json ] || node --import tsx training/type_check.ts --insert $R/insert --models $OUT/models-thin \
  --out $OUT/tc-41-48-thin.json $(names LIDC-IDRI-0001 $(seq 41 48))
$PY training/onnx_members.py --onnx $OUT/models-thin/characterizer.onnx --prefix thin
$PY training/attribute_check.py --members thin --out $OUT/attributes-thin.json
# Then, against the shipped heads: type_check.ts with --models models on the same series, and
# attribute_check.py --members ship (runs/attributes-ship-s40.json).
$PY training/type_ray_head.py --out $OUT/ray-head.json
