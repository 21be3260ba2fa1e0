#!/bin/sh
# Session 20: the shipped models on a lower-dose protocol, a shift no member trained on. The same
# nodules (same seeds, same sites) inserted into the real scans as acquired and with the soft-tissue
# noise x2 (a quarter of the dose) and x3 (a ninth), insert_nodules.py --noise-gain, plus the real
# LIDC-IDRI-0001 / -0002 at those doses with nothing inserted; all mined into runs/lowdose-mined/
# (outside runs/mined: no training reads them). Then lowdose_check.py scores them.
# Resumable: a finished series is kept.
#   sh training/lowdose_experiment.sh          the series above (session 20's check of the shipped model)
#   sh training/lowdose_experiment.sh train    + training data for members that learn lower doses
#   sh training/lowdose_experiment.sh test     + a fresh lower-dose test set (read once, after a choice)
#   sh training/lowdose_experiment.sh fused [test]   session 45: the same series one at a time -
#        inserted, mined, the fusion detector's heat (runs/heat/), the members' logits kept
#        (lowdose_check.py --cache), then the cubes and the DICOM deleted (36 series' cubes are
#        ~14 GB); lowdose_check.py then scores the shipped fused model from what was kept
set -eu
cd "$(dirname "$0")/.."
IN=training/runs/lowdose
OUT=training/runs/lowdose-mined
mkdir -p "$IN" "$OUT"
py=/usr/bin/python3
ins() {  # study seed gain name
  [ -f "$IN/$4.json" ] && return 0
  $py training/insert_nodules.py --study "$1" --seed "$2" --count "${COUNT:-24}" --noise-gain "$3" --out "$IN/$4" > "$IN/$4.log" 2>&1
}
mine_one() {  # series-folder out-folder name: the app's candidates and cubes, kept only when complete
  [ -f "$2/$3.json" ] && return 0
  echo "mining $3"
  node --import tsx training/mine_candidates.ts "$1/$3" --out "$2/$3.tmp" > /dev/null
  mv "$2/$3.tmp.cubes.f32" "$2/$3.cubes.f32"
  mv "$2/$3.tmp.json" "$2/$3.json"
}
mine_into() {  # folder-of-series out-folder
  for j in "$1"/LIDC-IDRI-*.json; do
    case "$j" in *.sites.json) continue ;; esac
    mine_one "$1" "$2" "$(basename "$j" .json)"
  done
}
if [ "${1:-}" = fused ]; then
  # series <study> <seed> <gain> <name> [count]: kept are the sidecars, the mined list, the heat
  # and the logits; what this block wrote to get them (DICOM, cubes) goes once they are kept.
  heat="node --import tsx training/heatmap_at_candidates.ts --out training/runs/heat --models training/runs/models-det-v4 --mined $OUT"
  series() {
    [ -f "$OUT/$4.logits.json" ] && [ -f "training/runs/heat/$4.json" ] && return 0
    made=
    if [ ! -d "$IN/$4" ]; then
      $py training/insert_nodules.py --study "$1" --seed "$2" --count "${5:-24}" --noise-gain "$3" --out "$IN/$4" > "$IN/$4.log" 2>&1
      made=1
      rm -f "$OUT/$4.json" "$OUT/$4.cubes.f32" "$OUT/$4.logits.json"  # mined from an earlier insertion of that name
    fi
    $py training/site_check.py "$IN"
    mine_one "$IN" "$OUT" "$4"
    nice -n 5 $heat "$IN/$4" > /dev/null
    $py training/lowdose_check.py --cache "$4"
    rm -f "$OUT/$4.cubes.f32"
    # The real scans' low-dose copies are app_check.sh's too: only a series inserted here goes.
    [ -z "$made" ] || rm -r "${IN:?}/$4"
  }
  # LIDC-IDRI-0001 (held out from the members' positives; its real negatives are cross-fitted):
  # seeds 101-104 plain and x2, 105-108 plain and x3. LIDC-IDRI-0002 (the training background):
  # seeds 110-113 x2, 114-117 x3.
  for s in 101 102 103 104; do series 0001 $s 1 LIDC-IDRI-0001-s$s; series 0001 $s 2 LIDC-IDRI-0001-n2-s$s; done
  for s in 105 106 107 108; do series 0001 $s 1 LIDC-IDRI-0001-s$s; series 0001 $s 3 LIDC-IDRI-0001-n3-s$s; done
  for s in 110 111 112 113; do series 0002 $s 2 LIDC-IDRI-0002-n2-s$s; done
  for s in 114 115 116 117; do series 0002 $s 3 LIDC-IDRI-0002-n3-s$s; done
  for n in 0001 0002; do for g in 2 3; do series $n 0 $g LIDC-IDRI-$n-n$g 0; done; done
  if [ "${2:-}" = test ]; then
    for s in 131 132 133 134; do series 0001 $s 2 LIDC-IDRI-0001-n2-s$s; done
    for s in 135 136 137 138; do series 0001 $s 3 LIDC-IDRI-0001-n3-s$s; done
  fi
  exec $py training/lowdose_check.py ${2:+--test}
fi
# LIDC-IDRI-0001 (held out from the members' positives; its real negatives are cross-fitted):
# seeds 101-104 plain and x2, 105-108 plain and x3. LIDC-IDRI-0002 (the training background):
# seeds 110-113 x2, 114-117 x3.
for s in 101 102 103 104; do ins 0001 $s 1 LIDC-IDRI-0001-s$s; ins 0001 $s 2 LIDC-IDRI-0001-n2-s$s; done
for s in 105 106 107 108; do ins 0001 $s 1 LIDC-IDRI-0001-s$s; ins 0001 $s 3 LIDC-IDRI-0001-n3-s$s; done
for s in 110 111 112 113; do ins 0002 $s 2 LIDC-IDRI-0002-n2-s$s; done
for s in 114 115 116 117; do ins 0002 $s 3 LIDC-IDRI-0002-n3-s$s; done
for n in 0001 0002; do for g in 2 3; do
  [ -f "$IN/LIDC-IDRI-$n-n$g.json" ] || $py training/insert_nodules.py --study $n --seed 0 --count 0 --noise-gain $g --out "$IN/LIDC-IDRI-$n-n$g" > "$IN/LIDC-IDRI-$n-n$g.log" 2>&1
done; done
if [ "${1:-}" = test ]; then
  for s in 131 132 133 134; do ins 0001 $s 2 LIDC-IDRI-0001-n2-s$s; done
  for s in 135 136 137 138; do ins 0001 $s 3 LIDC-IDRI-0001-n3-s$s; done
fi
$py training/site_check.py "$IN"
if [ "${1:-}" = train ]; then
  # Training data (session 20, train_char.py --low-dose reads it; recipes without the flag do not):
  # LIDC-IDRI-0002 at its own 1.25 mm with noise x2 (seeds 121-124, nodule-free copy seed 120) and
  # x3 (126-129, nodule-free 125), under runs/insert/ and mined into runs/mined/ like the recipe's.
  names=""
  for job in "120 2 0" "121 2" "122 2" "123 2" "124 2" "125 3 0" "126 3" "127 3" "128 3" "129 3"; do
    set -- $job
    name=LIDC-IDRI-0002-n$2-s$1
    out=training/runs/insert/$name
    [ -f "$out.json" ] || $py training/insert_nodules.py --study 0002 --seed "$1" --count "${3:-24}" --noise-gain "$2" --out "$out" > "$out.log" 2>&1
    names="$names $name"
  done
  $py training/site_check.py
  for name in $names; do mine_one training/runs/insert training/runs/mined "$name"; done
  $py training/extra_positives.py --per-nodule 8 $names
fi
mine_into "$IN" "$OUT"
echo done
