#!/bin/sh
# The thickness-source delta (training/mine_thickness.ts) of every mined series that has none yet:
# inserted series (runs/mined/), the original scans and LIDC-IDRI-0001's real copies
# (runs/thick-mined/, runs/sharp-mined/), into runs/mined-thickness/<name>. Resumable; a series
# whose base mining is not done yet is skipped (run this again after mine_all.sh / run_all.sh).
# char_data.py adds the delta to each series when PULMOLENS_MINED_ADD names this folder. Arguments:
# only the series with these names (disk: ~105 MB a series at the quota of 400).
set -eu
cd "$(dirname "$0")/.."
# THICKNESS_OUT / THICKNESS_ARGS: another output folder and mine_thickness.ts options (--near).
OUT=${THICKNESS_OUT:-training/runs/mined-thickness}
mkdir -p "$OUT"
ONLY=" $* "
delta() { # <dicom folder> <base mined prefix> <name>
  [ -f "$OUT/$3.json" ] && return 0
  [ "$ONLY" = "  " ] || case "$ONLY" in *" $3 "*) ;; *) return 0 ;; esac
  [ -f "$2.json" ] || { echo "skipping $3: not mined yet ($2.json)"; return 0; }
  rm -f "$OUT/$3.tmp.json" "$OUT/$3.tmp.cubes.f32"
  node --import tsx training/mine_thickness.ts "$1" --mined "$2" --out "$OUT/$3.tmp" ${THICKNESS_ARGS:-}
  mv "$OUT/$3.tmp.cubes.f32" "$OUT/$3.cubes.f32"
  mv "$OUT/$3.tmp.json" "$OUT/$3.json"
}
for n in 0001 0002; do
  delta "$(dirname "$(find .cache/LIDC-IDRI-$n/ -name '*.dcm' | head -n 1)")" training/runs/mined/LIDC-IDRI-$n LIDC-IDRI-$n
done
for spec in "thick t2" "sharp k15" "sharp k3"; do
  set -- $spec
  delta "training/runs/$1/LIDC-IDRI-0001-$2" "training/runs/$1-mined/LIDC-IDRI-0001-$2" "LIDC-IDRI-0001-$2"
done
for j in training/runs/mined/LIDC-IDRI-*-s*.json; do
  name=$(basename "$j" .json)
  case "$name" in *.tmp) continue ;; esac
  delta "training/runs/insert/$name" "training/runs/mined/$name" "$name"
done
