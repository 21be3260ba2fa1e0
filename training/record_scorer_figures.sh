#!/usr/bin/env bash
# Measures the shipped models with the app's own LUNA16 scorer (`pulmolens eval`, which runs the
# whole analyze pipeline on every series) and merges the figures into models/manifest.json and the
# model card through training/write_manifest.py, so no evaluation figure is ever typed in.
#
#   nohup training/record_scorer_figures.sh > training/runs/scorer/run.log 2>&1 &
#
# SEEDS overrides the synthetic held-out seeds (default: all of the manifest's heldOutSeeds, the
# seeds training/evaluate.py used; about a minute a scan on 2 CPU cores); the merged block says which.
# Work goes to the git-ignored training/runs/scorer/; a finished eval folder is reused (the
# scorer resumes), so re-running after an interruption continues where it stopped.
set -euo pipefail
cd "$(dirname "$0")/.."

RUN=training/runs/scorer
DATA=${PULMOLENS_DATA:-/work/shared/data/ct}
mkdir -p "$RUN"

if [ -z "${SEEDS:-}" ]; then
  SEEDS=$(/usr/bin/python3 -c "
import json
s = json.load(open('models/manifest.json'))['models']['detector']['evaluation']['syntheticHeldOut']['heldOutSeeds']
print(' '.join(map(str, s)))")
fi
# Same phantom family as training/evaluate.py: 8 nodules per scan, 512x512 slices.
SYNTH_ARGS=(--nodules 8 --size full)

# 1. Synthetic held-out studies and their concatenated LUNA16 annotations.
mkdir -p "$RUN/synth"
ANN="$RUN/synth-annotations.csv"
: > "$ANN"
for s in $SEEDS; do
  d="$RUN/synth/seed-$s"
  [ -f "$d/annotations.csv" ] || node bin/pulmolens.mjs synth --out "$d" --seed "$s" "${SYNTH_ARGS[@]}"
  if [ ! -s "$ANN" ]; then head -n 1 "$d/annotations.csv" > "$ANN"; fi
  tail -n +2 "$d/annotations.csv" >> "$ANN"
done
SYNTH_CMD=(node bin/pulmolens.mjs eval --studies "$RUN/synth" --annotations "$ANN" --out "$RUN/eval-synth")
echo "+ ${SYNTH_CMD[*]}"
"${SYNTH_CMD[@]}"

# 2. The two real scans: LIDC-IDRI-0002 (training background, no LUNA16 nodule) and
#    LIDC-IDRI-0001 (validation; since session 12 its real candidates are training negatives of
#    the characterizer, one cranio-caudal side per member). Both are in the manifest's
#    trainingSeriesUids, so they are scored with --include-training-scans (flagged either way).
mkdir -p "$RUN/lidc"
for n in 0001 0002; do
  [ -d "$RUN/lidc/LIDC-IDRI-$n/series" ] || tar xJf "$DATA/LIDC-IDRI-$n.tar.xz" -C "$RUN/lidc"
done
LIDC_CMD=(node bin/pulmolens.mjs eval --studies "$RUN/lidc" --annotations "$DATA/luna16-annotations.csv"
  --excluded "$DATA/luna16-annotations-excluded.csv" --ignore-unknown-series --include-training-scans --out "$RUN/eval-lidc")
echo "+ ${LIDC_CMD[*]}"
"${LIDC_CMD[@]}"

# 3. What was run, for the merge step; then the merge (manifest + model card).
/usr/bin/python3 - "$RUN/run.json" "$SEEDS" "${SYNTH_ARGS[*]}" "${SYNTH_CMD[*]}" "${LIDC_CMD[*]}" <<'EOF'
import datetime, json, subprocess, sys
out, seeds, synth_args, synth_cmd, lidc_cmd = sys.argv[1:]
commit = subprocess.run(['git', 'rev-parse', 'HEAD'], capture_output=True, text=True).stdout.strip()
json.dump({
    'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
    'gitCommit': commit,
    'script': 'training/record_scorer_figures.sh',
    'seeds': [int(s) for s in seeds.split()],
    'synthArgs': synth_args,
    'synthCommand': f'node bin/pulmolens.mjs synth --out training/runs/scorer/synth/seed-<S> --seed <S> {synth_args}',
    'synthEvalCommand': synth_cmd,
    'lidcEvalCommand': lidc_cmd,
}, open(out, 'w'), indent=2)
EOF
/usr/bin/python3 training/write_manifest.py --scorer "$RUN"
