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
# The held-out LIDC-IDRI-0001 as a 5 mm protocol (every two of its 2.5 mm slices averaged, nothing
# inserted; a new SeriesInstanceUID, app_summary.py maps it back to the scan's LUNA16 marks): the
# thick-slice check (Lung-RADS assumes <= 2.5 mm; a thick series must not flood the list).
thick=training/runs/thick/LIDC-IDRI-0001-t2
[ -f "$thick.json" ] || /usr/bin/python3 training/insert_nodules.py --study 0001 --seed 0 --count 0 --thicken 2 --out "$thick"
[ -f "$OUT/0001-t2/findings.json" ] || node bin/pulmolens.mjs analyze "$thick" --out "$OUT/0001-t2" --models models
/usr/bin/python3 training/app_summary.py "$OUT"
