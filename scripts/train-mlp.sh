#!/usr/bin/env bash
# Reproduces models/mlp.lstm: the paper's recipe (stage 1), a step-scale calibration,
# whole-horizon fine-tuning from the calibrated model with second-order terms over the last 20
# steps (stage 2), and a final calibration.
# Every stage is deterministic; the meta-training stages run on one compute thread
# (NEURALART_THREADS=1) because meta-training is bit-reproducible for a given thread count;
# calibration (evaluation only) gives the same result on any.
#
#   scripts/train-mlp.sh [run-dir]      # default runs/mlp; the model is <run-dir>/mlp.lstm
#
# Wall times and results: docs/TASKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-runs/mlp}
mkdir -p "$dir"
scripts/setup.sh
swift build -c release --product neural-art >/dev/null
B=.build/release/neural-art
start=$(date +%s)
stage() { echo "== $1 ($(( $(date +%s) - start )) s so far)" >&2; }

stage "stage 1: unrolls of 20 steps, summed loss"
NEURALART_THREADS=1 $B meta-train --task mlp --unroll 20 --meta-learning-rate 3e-3 --meta-steps 600 --problems-per-step 2 \
    --validate-every 50 --validation-problems 10 --checkpoint "$dir/st1.ckpt" --checkpoint-every 100 --output "$dir/st1.lstm"
stage "calibration of stage 1 on 50 validation problems"
$B calibrate --task mlp --model "$dir/st1.lstm" --problems 50 --output "$dir/st1-cal.lstm"
stage "stage 2: whole-horizon unrolls, second order over the last 20 steps, log objective, kept by the step-100 validation loss"
NEURALART_THREADS=1 $B meta-train --task mlp --initial-model "$dir/st1-cal.lstm" --unroll 100 --second-order 20 --objective log --select final \
    --meta-learning-rate 3e-4 --meta-steps 150 --problems-per-step 2 --validate-every 25 --validation-problems 20 \
    --checkpoint "$dir/s2.ckpt" --checkpoint-every 50 --output "$dir/s2.lstm"
stage "final calibration on 100 validation problems"
$B calibrate --task mlp --model "$dir/s2.lstm" --problems 100 --output "$dir/mlp.lstm"
stage "done: $dir/mlp.lstm"
echo "evaluate: $B evaluate --task mlp --model $dir/mlp.lstm --baselines docs/tasks/mlp-baselines.json --problems 100" >&2
