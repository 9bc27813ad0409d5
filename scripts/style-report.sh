#!/usr/bin/env bash
# The learned optimizer's generalization report on style tasks (issue: Neural Art with the
# learned optimizer). For three settings — held-out content at 64×64 (the training setting),
# the same model at 128×128, and an unseen style (stained-glass) at 64×64 — it tunes the
# baselines' learning rates on validation crops, evaluates every optimizer on fresh test
# crops, and writes tables (the loss table and the wall-clock table: steps and seconds to reach
# tuned ADAM's step-128 loss), curves (CSV), plots (SVG) and JSON into docs/style-report/.
# Every tuning run uses the setting's own style and size (as `compare` now tunes on the style
# at hand); only TUNE=0 reuses the swirls rates for the unseen style.
#
# Usage: scripts/style-report.sh [model] [test-problems] [validation-problems]
# Baseline rates (TUNE):
#   TUNE=1 (default)  tuned on validation crops of each setting (about an hour here);
#   TUNE=style        tuned per style at 64 px: the shipped swirls rates (models/neural-art-baselines.json,
#                     made by the same tune command) for held-out-64 and size-128 (the loss the
#                     optimizers see is size-normalized), and a tuning run on stained-glass crops;
#   TUNE=0            the shipped swirls rates in every setting.
# The report says which.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:-models/neural-art.lstm}
TEST=${2:-20}
VAL=${3:-6}
OUT=docs/style-report
mkdir -p "$OUT"
swift build -c release --product neural-art >&2
B=.build/release/neural-art
SUMMARY="$OUT/README.md"
{
  echo "# Learned optimizer on style tasks: generalization report"
  echo
  echo "Made by \`scripts/style-report.sh $MODEL $TEST $VAL\` on $(date -u +%Y-%m-%d)."
  echo "Mean loss over $TEST test crops (a seed stream never used in training, validation or tuning);"
  echo "\"unseen style\" is unseen by a model trained on swirls alone; a model trained on the style distribution"
  echo "(models/neural-art.lstm) has both swirls and stained glass among its training styles (the bundled family),"
  echo "and its report on unseen styles is docs/any-style-report/."
  if [ "${TUNE:-1}" = 0 ]; then
  echo "baseline learning rates: models/neural-art-baselines.json (tuned on 64-px swirls validation crops) in every setting."
elif [ "${TUNE:-1}" = style ]; then
  echo "baseline learning rates tuned per style at 64 px on $VAL validation crops (criterion: summed loss): models/neural-art-baselines.json"
  echo "(swirls) for held-out-64 and size-128, unseen-style-64-baselines.json for the unseen style."
else
  echo "baseline learning rates tuned on $VAL validation crops per setting (criterion: summed loss)."
fi
  echo
} > "$SUMMARY.tmp"
run() {
  local name=$1; shift
  echo "== $name" >&2
  local rates="$OUT/$name-baselines.json"
  if [ "${TUNE:-1}" = 0 ] || { [ "${TUNE:-1}" = style ] && [ "$name" != unseen-style-64 ]; }; then
    rates=models/neural-art-baselines.json
  else
    $B tune --task style "$@" --problems "$VAL" --steps 128 --output "$rates" --quiet
  fi
  $B evaluate --task style "$@" --model "$MODEL" --baselines "$rates" \
     --problems "$TEST" --steps 128 --table-steps 1 16 32 64 128 --csv "$OUT/$name.csv" --plot "$OUT/$name.svg" --json "$OUT/$name.json" \
     --quiet > "$OUT/$name.txt"
  {
    echo "## $name"
    echo
    echo '```'
    cat "$OUT/$name.txt"
    echo '```'
    echo
    echo "![$name]($name.svg)"
    echo
  } >> "$SUMMARY.tmp"
}
run held-out-64 --image-size 64
run size-128 --image-size 128
run unseen-style-64 --image-size 64 --style-image images/stained-glass.png
mv "$SUMMARY.tmp" "$SUMMARY"
echo "wrote $SUMMARY" >&2
