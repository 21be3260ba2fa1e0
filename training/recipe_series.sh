# Sourced by the experiment scripts (faint_experiment.sh, vessel_experiment.sh): run_all.sh's
# LIDC-IDRI-0002 training series (the shipped s4 recipe), their names, insertion and mining.
# Needs PY and R set, and the caller's working directory at the project root.
RECIPE="$(for s in 1 2 3 4 5 6 7 8 9 10; do printf 'LIDC-IDRI-0002-s%s ' $s; done)
  $(for s in $(seq 20 30); do printf 'LIDC-IDRI-0002-t2-s%s ' $s; done)
  $(for s in $(seq 30 40); do printf 'LIDC-IDRI-0002-t3-s%s ' $s; done)
  $(for s in $(seq 40 50); do printf 'LIDC-IDRI-0002-t4-s%s ' $s; done) LIDC-IDRI-0002-h-s51"

# The recipe's series this machine does not have (run_all.sh's seeds and flags).
insert_recipe() {
  for job in "20 2 0" "21 2" "22 2" "23 2" "24 2" "25 2" "26 2" "27 2" "28 2" "29 2" "30 2" \
    "30 3 0" "31 3" "32 3" "33 3" "34 3" "35 3" "36 3" "37 3" "38 3" "39 3" "40 3" \
    "40 4 0" "41 4" "42 4" "43 4" "44 4" "45 4" "46 4" "47 4" "48 4" "49 4" "50 4"; do
    set -- $job
    out=$R/insert/LIDC-IDRI-0002-t$2-s$1
    [ -f "$out.json" ] || $PY training/insert_nodules.py --study 0002 --seed "$1" --count "${3:-24}" --thicken "$2" --out "$out"
  done
  for s in 1 2 3 4 5 6 7 8 9 10; do
    out=$R/insert/LIDC-IDRI-0002-s$s
    [ -f "$out.json" ] || $PY training/insert_nodules.py --study 0002 --seed $s --count 24 --out "$out"
  done
  out=$R/insert/LIDC-IDRI-0002-h-s51
  [ -f "$out.json" ] || $PY training/insert_nodules.py --study 0002 --seed 51 --count 24 --mix hard --out "$out"
}

mine() { nice -n 10 sh training/mine_series.sh "$@"; }  # <series dir> <out prefix>

# The recipe's series into runs/mined (exactly these; 0002 seeds 11-12 and the sharp copies there
# are other experiments' and stay out of the recipe), the real scans and the real copies of LIDC-IDRI-0001.
mine_recipe() {
  for n in 0001 0002; do
    mine "$(dirname "$(find .cache/LIDC-IDRI-$n/ -name '*.dcm' | head -n 1)")" "$R/mined/LIDC-IDRI-$n"
  done
  for n in $RECIPE; do mine "$R/insert/$n" "$R/mined/$n"; done
  sh training/mine_real_copies.sh
}

# A mined folder for an experiment: links to every recipe series and real copy, beside which the
# experiment's own series are mined (PULMOLENS_MINED=<folder> for its trainers).
link_recipe() {  # <folder>
  mkdir -p "$1"
  for p in $R/mined/*.json $R/sharp-mined/*.json $R/thick-mined/*.json; do
    b=$(basename "$p" .json)
    [ -e "$1/$b.json" ] || ln -s "$(realpath "$p")" "$1/$b.json"
    [ -e "$1/$b.cubes.f32" ] || ln -s "$(realpath "${p%.json}.cubes.f32")" "$1/$b.cubes.f32"
  done
}

# One member of run_all.sh's s4 recipe: <name> <slab> <seed> [env]
member() {
  [ -f "$R/char/$1/model.pt" ] && return 0
  B=$($PY -c 'import sys; sys.path.insert(0, "training"); from cv_report import SLAB_BOUNDS; print(SLAB_BOUNDS)')
  env ${4:-} nice -n 10 $PY training/train_char.py --name "$1" --seed "$3" --train LIDC-IDRI-0002 \
    --real-negatives "LIDC-IDRI-0001:slab:$2:$B" --real-negative-share 0.5 \
    --steps "${STEPS:-3000}" --max-minutes "${MINUTES:-50}" --batch 64 --eval-every 100 --hnm-every 300 --max-negatives 450 \
    > "$R/logs/$1.log" 2>&1
}

# One LIDC-IDRI-0001 series with run_all.sh's seed and flags, inserted where this machine lacks it;
# its name is appended to SCORED. <seed> [--thicken 2 | --sharpen A]
insert_0001() {
  s=$1; shift
  case "${1:-}" in
    --thicken) n=LIDC-IDRI-0001-t$2-s$s ;;
    --sharpen) n=LIDC-IDRI-0001-k$(echo "$2" | tr -d .)-s$s ;;
    *) n=LIDC-IDRI-0001-s$s ;;
  esac
  [ -f "$R/insert/$n.json" ] || $PY training/insert_nodules.py --study 0001 --seed "$s" --count 24 "$@" --out "$R/insert/$n"
  SCORED="${SCORED:-} $n"
}

# Every LIDC-IDRI-0001 series split_cv.py --test fresh reads, inserted and mined where missing:
# choosing (calibration 1-4, dev 5-12, sharp 85-88, 5 mm 71-74) and fresh test (49-56, sharp
# 93-96, 5 mm 75-80). Their names end up in SCORED.
scored_series() {
  SCORED=
  for s in 1 2 3 4 5 6 7 8 9 10 11 12 49 50 51 52 53 54 55 56; do insert_0001 $s; done
  for s in 85 86 93 94; do insert_0001 $s --sharpen 1.5; done
  for s in 87 88 95 96; do insert_0001 $s --sharpen 3; done
  for s in 71 72 73 74 75 76 77 78 79 80; do insert_0001 $s --thicken 2; done
  $PY training/site_check.py
  for n in $SCORED; do mine "$R/insert/$n" "$R/mined/$n"; done
}

# split_cv.py's --slabs for members <prefix>-k<slab>-seed<i>, seeds 0 .. n-1 of each of the four
# slabs: "k0 members,k1 members,...". <prefix> <n>
slabs() {
  for k in 0 1 2 3; do
    printf '%s' "$([ $k = 0 ] || echo ,)"
    for i in $(seq 0 $(($2 - 1))); do printf '%s%s-k%s-seed%s' "$([ $i = 0 ] || echo +)" "$1" "$k" "$i"; done
  done
}
