#!/bin/sh
# Real copies of LIDC-IDRI-0001, nothing inserted: as 5 mm slices (two averaged) and through sharp
# kernels (unsharp mask 1.5 and 3), made and mined once (resumable). Training negatives of the
# shipped members (run_all.sh) and the app check's scans (app_check.sh makes the same ones).
set -eu
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
for spec in "thick t2 --thicken 2" "sharp k15 --sharpen 1.5" "sharp k3 --sharpen 3"; do
  set -- $spec
  out=training/runs/$1/LIDC-IDRI-0001-$2
  mined=training/runs/$1-mined/LIDC-IDRI-0001-$2
  [ -f "$out.json" ] || $PY training/insert_nodules.py --study 0001 --seed 0 --count 0 "$3" "$4" --out "$out"
  mkdir -p "training/runs/$1-mined"
  sh training/mine_series.sh "$out" "$mined"
done
