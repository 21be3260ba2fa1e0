#!/bin/sh
# One series through the app's stage-1 candidate miner (training/mine_candidates.ts) into
# <out prefix>.json and <out prefix>.cubes.f32, written under .tmp names and moved in place, so a
# run stopped half-way leaves no output that looks finished. An existing <out prefix>.json is kept.
# MINE_MODELS names another models folder (a trial detector: training/stage_models.py).
#   sh training/mine_series.sh <series dir> <out prefix>
set -eu
[ -f "$2.json" ] && exit 0
# The miner never overwrites, so a stopped run's own .tmp output is cleared first.
rm -f "$2.tmp.cubes.f32" "$2.tmp.json"
node --import tsx training/mine_candidates.ts "$1" --out "$2.tmp" ${MINE_MODELS:+--models "$MINE_MODELS"}
mv "$2.tmp.cubes.f32" "$2.cubes.f32"
mv "$2.tmp.json" "$2.json"
