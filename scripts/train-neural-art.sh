#!/usr/bin/env bash
# The learned optimizer of the Neural Art task, from scratch: meta-training on the style
# distribution (issue 15), then the model and the baselines it is compared with.
#
#   scripts/train-neural-art.sh [run-dir]       # default runs/neural-art
#
# Stages (each resumable: a killed run picks up from its last checkpoint when the script is run
# again with the same run-dir; finished stages are skipped):
#   1. meta-train from scratch, horizon 64 (unrolls of 16 steps, 2 problems per meta-step),
#      early weight 8;
#   2. meta-train from stage 1, horizon 128, half the meta-learning rate, early weight 32 (the
#      first steps weigh more: no first-step overshoot);
#   3. meta-train from stage 2, horizon 256 (the tail of long runs), a quarter of the rate;
#   4. meta-train from stage 3 coarse to fine, as stylize paints: each problem 48 steps at half
#      its crop size, then 32 at its crop size (64-128 px) from the upsampled picture, the LSTM
#      state carried across the change of scale;
#   5. meta-train from stage 4 as stage 4 does, with a share of the problems (PALETTE5, default
#      0.5) started from the crop recoloured to the style's colours (`--palette-start`), the
#      start `stylize` paints from by default;
#   6. meta-train from stage 5 as stage 5 does, with the high-pass input (HIGHPASS6, default
#      16,-0.75: the LSTM's features see g − 0.75·B₁₆(g), the gradient with three quarters of its
#      local mean taken out; the gain chosen among −0.5 … −0.9 in docs/TAIL.md), 400 meta-steps at
#      half the rate;
#   7. copy the result to models/neural-art.lstm (INSTALL=0: leave models/ alone);
#   8. REPORTS=1 (default with INSTALL=1): re-tune the stylize baselines
#      (models/neural-art-baselines.json, swirls crops) and regenerate the reports the README
#      quotes: docs/any-style-report and docs/any-style-report-palette (held-out families, ADAM
#      tuned per family; from content and from palette starts),
#      docs/pipeline-report (512-px pipeline), docs/style-report and docs/compare.
# Training problems draw their style from the training families (TRAIN_FAMILIES; validation
# draws fresh styles of the same families), so every other family — dots and mosaic, and the
# families added after this recipe — is held out from training *and* model selection.
#
# Settings: EARLY1 / EARLY2 (--early-weight of the stages, default 8 / 32; stage 3 uses EARLY2),
# MOMENTUM (--momentum-inputs, default 0.5,0.9,0.99; empty: none), STAGE1 / STAGE2 / STAGE3 /
# STAGE4 / STAGE5 / STAGE6 (meta-steps, default 800 / 400 / 400 / 800 / 800 / 400; STAGEn=0 for n ≥ 3:
# stop before), PALETTE5 (stage 5's --palette-start share, default 0.5), RATE5 (stage 5's meta-learning rate),
# HIGHPASS6 / RATE6 (stage 6's --high-pass and meta-learning rate, default 16,-0.75 / 2.5e-4), THREADS (compute threads per
# process; the result is bit-reproducible for a given count; default 1, as the shipped model
# was made), BIN (the binary; default: build).
# Wall time on this 2-core machine: see README "The shipped model: commands and wall time".
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-runs/neural-art}
EARLY1=${EARLY1:-8}
EARLY2=${EARLY2:-32}
MOMENTUM=${MOMENTUM-0.5,0.9,0.99}
STAGE1=${STAGE1:-800}
STAGE2=${STAGE2:-400}
STAGE3=${STAGE3:-400}
STAGE4=${STAGE4:-800}
STAGE5=${STAGE5:-800}
STAGE6=${STAGE6:-400}
HIGHPASS6=${HIGHPASS6:-16,-0.75}
RATE6=${RATE6:-2.5e-4}
PALETTE5=${PALETTE5:-0.5}
RATE5=${RATE5:-5e-4}
THREADS=${THREADS:-1}
INSTALL=${INSTALL:-1}
REPORTS=${REPORTS:-$INSTALL}
TRAIN_FAMILIES=${TRAIN_FAMILIES:-cells,marble,stripes,strokes,wash,bundled}
mkdir -p "$dir"
scripts/setup.sh
# BIN: a copy of the binary to run (so a rebuild during a long run does not change it midway).
if [ -z "${BIN:-}" ]; then swift build -c release --product neural-art >/dev/null; fi
B=${BIN:-.build/release/neural-art}
start=$(date +%s)
stage() { echo "== $1 ($(( $(date +%s) - start )) s so far)" >&2; }

common=(--task style --style-families "$TRAIN_FAMILIES" --held-out-families none --objective log --random-scale 1
        --unroll 16 --problems-per-step 2 --validate-every 80 --validation-problems 8 --checkpoint-every 40)
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
run_stage stage1 --rms-inputs "${momentum[@]}" --meta-steps "$STAGE1" --horizon 64 --meta-learning-rate 2e-3 --early-weight "$EARLY1"
stage "stage 2: from stage 1, horizon 128, $STAGE2 meta-steps"
run_stage stage2 --initial-model "$dir/stage1.lstm" --meta-steps "$STAGE2" --horizon 128 --meta-learning-rate 1e-3 \
    --early-weight "$EARLY2"
final=stage2
# Each later stage runs only when its predecessor did (STAGEn=0 stops the chain there).
if [ "$STAGE3" != 0 ]; then
  stage "stage 3: from stage 2, horizon 256, $STAGE3 meta-steps"
  run_stage stage3 --initial-model "$dir/stage2.lstm" --meta-steps "$STAGE3" --horizon 256 --meta-learning-rate 5e-4 \
      --early-weight "$EARLY2"
  final=stage3
fi
if [ "$final" = stage3 ] && [ "$STAGE4" != 0 ]; then
  stage "stage 4: from stage 3, coarse to fine (48 steps at half size, 32 at 64-128 px), $STAGE4 meta-steps"
  run_stage stage4 --initial-model "$dir/stage3.lstm" --meta-steps "$STAGE4" --horizon 80 --meta-learning-rate 5e-4 \
      --early-weight "$EARLY2" --crop-sizes 64-128 --coarse-to-fine 48
  final=stage4
fi
if [ "$final" = stage4 ] && [ "$STAGE5" != 0 ]; then
  stage "stage 5: from stage 4, coarse to fine, $PALETTE5 of the problems from palette starts, $STAGE5 meta-steps"
  run_stage stage5 --initial-model "$dir/stage4.lstm" --meta-steps "$STAGE5" --horizon 80 --meta-learning-rate "$RATE5" \
      --early-weight "$EARLY2" --crop-sizes 64-128 --coarse-to-fine 48 --palette-start "$PALETTE5"
  final=stage5
fi
if [ "$final" = stage5 ] && [ "$STAGE6" != 0 ]; then
  stage "stage 6: from stage 5, as stage 5 with the high-pass input ($HIGHPASS6), $STAGE6 meta-steps"
  run_stage stage6 --initial-model "$dir/stage5.lstm" --high-pass "$HIGHPASS6" --meta-steps "$STAGE6" --horizon 80 \
      --meta-learning-rate "$RATE6" --early-weight "$EARLY2" --crop-sizes 64-128 --coarse-to-fine 48 --palette-start "$PALETTE5"
  final=stage6
fi
if [ "$INSTALL" != 1 ]; then stage "done: $dir/$final.lstm"; exit 0; fi
cp "$dir/$final.lstm" models/neural-art.lstm
stage "installed models/neural-art.lstm"
if [ "$REPORTS" != 1 ]; then exit 0; fi
export BIN=$B
stage "baselines for stylize and compare: tune on swirls crops"
[ -f "$dir/baselines.json" ] || $B tune --task style --problems 6 --steps 128 --output "$dir/baselines.json" --quiet
cp "$dir/baselines.json" models/neural-art-baselines.json
stage "report: held-out style families"
scripts/any-style-report.sh models/neural-art.lstm docs/any-style-report
stage "report: held-out style families from palette starts (ADAM tuned from them)"
START=palette scripts/any-style-report.sh models/neural-art.lstm docs/any-style-report-palette
stage "report: the 512-px pipeline"
FAMILIES=${PIPELINE_FAMILIES:-ripples,plaid,facets,whirls} scripts/pipeline-report.sh models/neural-art.lstm docs/pipeline-report
stage "report: swirls at 64 and 128 px, stained glass (style tuned per style)"
TUNE=style scripts/style-report.sh models/neural-art.lstm 20 6
stage "compare"
$B compare --baselines models/neural-art-baselines.json --output-dir docs/compare --quiet
stage "done"

