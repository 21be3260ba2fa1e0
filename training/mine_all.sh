#!/bin/sh
# Mines stage-1 candidates and the app's own characterizer cubes (training/mine_candidates.ts)
# from every inserted series under training/runs/insert/ and from the original LIDC-IDRI-0001
# and -0002 series (extracted into .cache/ like the tests do). Resumable: a finished prefix is kept.
# PULMOLENS_MINED names another output folder, MINE_MODELS another models folder (a trial detector:
# training/stage_models.py).
set -eu
cd "$(dirname "$0")/.."
OUT=${PULMOLENS_MINED:-training/runs/mined}
mkdir -p "$OUT"
for n in 0001 0002; do
  d=.cache/LIDC-IDRI-$n
  if [ ! -d "$d" ]; then
    tmp=$d.tmp-$$
    mkdir -p "$tmp" && tar xJf ../shared/data/ct/LIDC-IDRI-$n.tar.xz -C "$tmp" && mv "$tmp" "$d"
  fi
done
mine() {
  [ -f "$OUT/$2.json" ] && return 0
  echo "mining $2 from $1"
  sh training/mine_series.sh "$1" "$OUT/$2"
}
for n in 0001 0002; do
  mine "$(dirname "$(find .cache/LIDC-IDRI-$n/ -name '*.dcm' | head -n 1)")" "LIDC-IDRI-$n"
done
for j in training/runs/insert/LIDC-IDRI-*.json; do
  case "$j" in *.sites.json) continue ;; esac
  name=$(basename "$j" .json)
  # Only the recipe's series (run_all.sh): a stray experiment series left under insert/ would join
  # every training run of its background once mined (session 7's hard-mix series 52-66 nearly did).
  case "$name" in
    *-h-s51) ;;
    *-f-s*)
      echo "skipping $name: a faint series of training/faint_experiment.sh (session 40), not in run_all.sh's recipe"
      continue ;;
    *-v-s*) ;;  # the vessel mix (session 42: in the recipe; run_all.sh)
    *-h-s*)
      if [ "${MINE_EXPERIMENTS:-0}" != 1 ]; then
        echo "skipping $name: a hard-mix experiment series, not in run_all.sh's recipe (MINE_EXPERIMENTS=1 mines it)"
        continue
      fi ;;
  esac
  mine "training/runs/insert/$name" "$name"
done
