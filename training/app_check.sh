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
/usr/bin/python3 training/app_summary.py "$OUT"
