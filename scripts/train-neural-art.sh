#!/usr/bin/env bash
# The learned optimizer of the Neural Art task, from scratch: meta-training on the style
# distribution (issue 15), then the model and the baselines it is compared with.
#
#   scripts/train-neural-art.sh [run-dir]       # default runs/neural-art
#
# Stages (each resumable: a killed run picks up from its last checkpoint when the script is run
# again with the same run-dir; finished stages are skipped):
#   1. meta-train from scratch, horizon 64 (unrolls of 16 steps, 2 problems per meta-step);
#   2. meta-train from stage 1, horizon 128, half the meta-learning rate;
#   3. copy the result to models/neural-art.lstm (INSTALL=0: leave models/ alone).
# Training problems draw their style from the training families (TRAIN_FAMILIES; validation
# draws fresh styles of the same families), so every other family — dots and mosaic, and the
# families added after this recipe — is held out from training *and* model selection.
#
# Settings: EARLY (--early-weight, default 8), MOMENTUM (--momentum-inputs, default none),
# STAGE1 / STAGE2 (meta-steps, default 800 / 400), THREADS (compute threads per process; the
# result is bit-reproducible for a given count; default 2), BIN (the binary; default: build).
# Wall time on this 2-core machine: see README "The shipped model: commands and wall time".
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-runs/neural-art}
EARLY=${EARLY:-8}
MOMENTUM=${MOMENTUM:-}
STAGE1=${STAGE1:-800}
STAGE2=${STAGE2:-400}
THREADS=${THREADS:-2}
INSTALL=${INSTALL:-1}
TRAIN_FAMILIES=${TRAIN_FAMILIES:-cells,marble,stripes,strokes,wash,bundled}
mkdir -p "$dir"
scripts/setup.sh
# BIN: a copy of the binary to run (so a rebuild during a long run does not change it midway).
if [ -z "${BIN:-}" ]; then swift build -c release --product neural-art >/dev/null; fi
B=${BIN:-.build/release/neural-art}
start=$(date +%s)
stage() { echo "== $1 ($(( $(date +%s) - start )) s so far)" >&2; }

common=(--task style --style-families "$TRAIN_FAMILIES" --held-out-families none --objective log --random-scale 1
        --unroll 16 --problems-per-step 2 --validate-every 80 --validation-problems 8 --early-weight "$EARLY"
        --checkpoint-every 40)
# meta-train with --resume when the stage's checkpoint exists; skipped when its model exists.
run_stage() {
  local name=$1; shift
  if [ -f "$dir/$name.lstm" ]; then stage "$name: done before ($dir/$name.lstm)"; return; fi
  local resume=()
  [ -f "$dir/$name.ckpt" ] && resume=(--resume)
  NEURALART_THREADS=$THREADS $B meta-train "${common[@]}" "$@" --checkpoint "$dir/$name.ckpt" \
      --log "$dir/$name.csv" --output "$dir/$name.tmp.lstm" "${resume[@]}"
  mv "$dir/$name.tmp.lstm" "$dir/$name.lstm"
}

momentum=()
[ -n "$MOMENTUM" ] && momentum=(--momentum-inputs "$MOMENTUM")
stage "stage 1: from scratch, horizon 64, $STAGE1 meta-steps"
run_stage stage1 --rms-inputs "${momentum[@]}" --meta-steps "$STAGE1" --horizon 64 --meta-learning-rate 2e-3
stage "stage 2: from stage 1, horizon 128, $STAGE2 meta-steps"
run_stage stage2 --initial-model "$dir/stage1.lstm" --meta-steps "$STAGE2" --horizon 128 --meta-learning-rate 1e-3
if [ "$INSTALL" = 1 ]; then
  cp "$dir/stage2.lstm" models/neural-art.lstm
  stage "done: models/neural-art.lstm"
else
  stage "done: $dir/stage2.lstm"
fi
