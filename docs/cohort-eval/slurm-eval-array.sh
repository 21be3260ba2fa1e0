#!/usr/bin/env bash
# Slurm array job: one shard of a `pulmolens eval` cohort per array task.
#
#   sbatch --array=0-7 docs/cohort-eval/slurm-eval-array.sh            # 8 shards
#   sbatch --dependency=afterok:<jobid> --wrap \
#     'npx pulmolens eval --merge "$OUT"/shard-* --out "$OUT"/all'     # then merge once all succeed
#
# Shard i of n takes every n-th series in SeriesInstanceUID order (0-based, like --array=0-(n-1)),
# so tasks need no coordination; `eval --merge` recomputes every figure from the shards' raw
# per-scan records, giving exactly the metrics.json of one unsharded run. A task that is rerun
# resumes from its own output folder.
#
# Settings (environment; export them before sbatch, or edit the defaults):
#   STUDIES      folder with the CT studies (every CT series under it is a scan)
#   ANNOTATIONS  LUNA16 annotations.csv        EXCLUDED  annotations_excluded.csv (optional)
#   SERIESUIDS   LUNA16 seriesuids.csv (optional)   FINDINGS  precomputed findings folder (optional)
#   OUT          results root; shard i writes $OUT/shard-i
#   PULMOLENS    how to run the CLI (default: npx pulmolens)
#
#SBATCH --job-name=pulmolens-eval
#SBATCH --cpus-per-task=4
#SBATCH --mem=16G
#SBATCH --time=24:00:00
set -euo pipefail

: "${SLURM_ARRAY_TASK_ID:?run as a Slurm array job (sbatch --array=0-N)}"
# Slurm sets the task count for --array=0-(n-1); SHARDS overrides it (e.g. with a %limit).
SHARDS=${SHARDS:-${SLURM_ARRAY_TASK_COUNT:?SLURM_ARRAY_TASK_COUNT is not set; set SHARDS}}
: "${STUDIES:?}" "${ANNOTATIONS:?}" "${OUT:?}"
read -r -a CLI <<< "${PULMOLENS:-npx pulmolens}"

args=(eval --studies "$STUDIES" --annotations "$ANNOTATIONS"
  --shard "${SLURM_ARRAY_TASK_ID}/${SHARDS}" --out "${OUT}/shard-${SLURM_ARRAY_TASK_ID}")
[ -n "${EXCLUDED:-}" ] && args+=(--excluded "$EXCLUDED")
[ -n "${SERIESUIDS:-}" ] && args+=(--seriesuids "$SERIESUIDS")
[ -n "${FINDINGS:-}" ] && args+=(--findings "$FINDINGS")
exec "${CLI[@]}" "${args[@]}"
