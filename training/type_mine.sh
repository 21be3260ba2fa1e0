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
  rm -f "$OUT/$name.tmp.cubes.f32" "$OUT/$name.tmp.json" "$OUT/$name.cubes.f32" "$OUT/$name.json"
  node --import tsx training/mine_candidates.ts "$d" --out "$OUT/$name.tmp"
  mv "$OUT/$name.tmp.cubes.f32" "$OUT/$name.cubes.f32"
  mv "$OUT/$name.tmp.json" "$OUT/$name.json"
  /usr/bin/python3 training/type_positives.py "$OUT/$name" "$d.json" --out "$OUT/$name.npz"
done
