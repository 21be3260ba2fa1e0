#!/bin/sh
# The shipped models through the app itself: `pulmolens analyze` on the real scans LIDC-IDRI-0001
# and -0002, then findings at the manifest's operating threshold, false positives (away from
# every LUNA16 nodule and excluded mark) and the rank of LUNA16's nodule. Writes
# training/runs/app/summary.json (read by write_manifest.py when present).
set -eu
cd "$(dirname "$0")/.."
OUT=training/runs/app
mkdir -p "$OUT"
for n in ${STUDIES:-0001 0002}; do
  dir=$(dirname "$(find .cache/LIDC-IDRI-$n/ -name '*.dcm' | head -n 1)")
  [ -f "$OUT/$n/findings.json" ] || node bin/pulmolens.mjs analyze "$dir" --out "$OUT/$n" --models models
done
# LIDC-IDRI-0001 (the validation background; since session 12 its real candidates are training
# negatives of the shipped members, one cranio-caudal side each: cv_report.py has the cross-fitted
# counts) as a 5 mm protocol (every two of its 2.5 mm slices averaged, nothing
# inserted; a new SeriesInstanceUID, app_summary.py maps it back to the scan's LUNA16 marks): the
# thick-slice check (Lung-RADS assumes <= 2.5 mm; a thick series must not flood the list).
thick=training/runs/thick/LIDC-IDRI-0001-t2
[ -f "$thick.json" ] || /usr/bin/python3 training/insert_nodules.py --study 0001 --seed 0 --count 0 --thicken 2 --out "$thick"
[ -f "$OUT/0001-t2/findings.json" ] || node bin/pulmolens.mjs analyze "$thick" --out "$OUT/0001-t2" --models models
# LIDC-IDRI-0001 as if reconstructed with a sharp (lung / bone) kernel: an in-plane
# unsharp mask of amount 1.5 and 3 (insert_nodules.py --sharpen; noise x1.9 and x2.8, nothing
# inserted; session 11: 3 and 2 false positives at the session-10 threshold, 2 and 2 at 0.853,
# with a model that had never seen LIDC-IDRI-0001).
for k in 15 3; do
  sharp=training/runs/sharp/LIDC-IDRI-0001-k$k
  amount=$(echo "$k" | sed 's/^\(.\)\(.\)$/\1.\2/')
  [ -f "$sharp.json" ] || /usr/bin/python3 training/insert_nodules.py --study 0001 --seed 0 --count 0 --sharpen "$amount" --out "$sharp"
  [ -f "$OUT/0001-k$k/findings.json" ] || node bin/pulmolens.mjs analyze "$sharp" --out "$OUT/0001-k$k" --models models
done
# Session 21: the real scans at a quarter and a ninth of their dose (insert_nodules.py --noise-gain 2
# and 3: noise of the scan's own texture added, nothing inserted; session 20 measured the shipped
# models hold at x2 and not at x3 there): where the app's image-noise figure stops being validated
# (training/noise_calibration.py reads these into the manifest's operatingPoint.noise).
for n in ${STUDIES:-0001 0002}; do for g in 2 3; do
  low=training/runs/lowdose/LIDC-IDRI-$n-n$g
  [ -f "$low.json" ] || /usr/bin/python3 training/insert_nodules.py --study "$n" --seed 0 --count 0 --noise-gain "$g" --out "$low"
  [ -f "$OUT/$n-n$g/findings.json" ] || node bin/pulmolens.mjs analyze "$low" --out "$OUT/$n-n$g" --models models
done; done
/usr/bin/python3 training/app_summary.py "$OUT"
