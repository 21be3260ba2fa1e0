#!/bin/sh
# Mines inserted series through the app's stage 1 (training/mine_candidates.ts) and keeps their
# positives only (training/type_positives.py): the type head's data (training/type_head.py).
# Resumable: a series whose .npz exists is skipped.
#   sh training/type_mine.sh <inserted-series-folder>...   (each with <folder>.json beside it)
set -eu
cd "$(dirname "$0")/.."
OUT=${TYPE_MINED:-training/runs/type-mined}
mkdir -p "$OUT"
for d in "$@"; do
  name=$(basename "$d")
  [ -f "$OUT/$name.npz" ] && continue
  echo "mining $name"
  rm -f "$OUT/$name.cubes.f32" "$OUT/$name.json"  # resumed on the .npz: a cube file without one is redone
  sh training/mine_series.sh "$d" "$OUT/$name"
  /usr/bin/python3 training/type_positives.py "$OUT/$name" "$d.json" --out "$OUT/$name.npz"
done
