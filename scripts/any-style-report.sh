#!/usr/bin/env bash
# The learned optimizer on styles it never saw (issue 15's done-when): test problems whose style
# is drawn from the held-out families only (never drawn in meta-training or its validation),
# their content from the held-out photos, against ADAM tuned per family.
#
#   scripts/any-style-report.sh [model] [out-dir]      # default models/neural-art.lstm docs/any-style-report
#
# 1. ADAM's learning rate is tuned per family at 64 px (`tune --per-family --only adam`,
#    TUNE_PROBLEMS validation problems per family, summed loss over 128 steps). The loss the
#    optimizers see is size-normalized, so the same rates serve 128 and 256 px.
# 2. `evaluate` at 64, 128 and 256 px (PROBLEMS_64/128/256 test problems: families in turn),
#    128 steps: mean loss at steps 1, 16, 32, 64, 128, per family at step 128, and the
#    wall-clock table (steps and seconds to reach ADAM's step-128 loss);
# 3. `evaluate` coarse to fine (PROBLEMS_C2F problems): 48 steps at half the crop size, then 32
#    at 64-128 px, as stylize paints.
# Writes <out>/README.md and per setting <size>.txt/.csv/.svg/.json.
# FAMILIES: the held-out families (default: every family held out by default).
# START: content (default: every problem starts from its crop) or palette (from its crop
#   recoloured to the style's colour statistics, as `stylize` starts by default; ADAM is then
#   tuned from that start too, so point OUT at its own folder, e.g. docs/any-style-report-palette).
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:-models/neural-art.lstm}
OUT=${2:-docs/any-style-report}
FAMILIES=${FAMILIES:-dots,mosaic,crackle,ripples,plaid,contours,facets,truchet,drips,camo,impasto,whirls}
TUNE_PROBLEMS=${TUNE_PROBLEMS:-2}
P64=${PROBLEMS_64:-24}
P128=${PROBLEMS_128:-24}
P256=${PROBLEMS_256:-12}
PC2F=${PROBLEMS_C2F:-24}
START=${START:-content}
case "$START" in
  content) start_flags=() ;;
  palette) start_flags=(--palette-start 1) ;;
  *) echo "any-style-report.sh: START must be content or palette (got '$START')" >&2; exit 1 ;;
esac
if [ -z "${BIN:-}" ]; then swift build -c release --product neural-art >&2; fi
B=${BIN:-.build/release/neural-art}
mkdir -p "$OUT"
dist=(--task style --style-families "$FAMILIES" --held-out-families none "${start_flags[@]}")
start=$(date +%s)
if [ ! -f "$OUT/adam-64.json" ]; then
  echo "== tuning ADAM per family at 64 px" >&2
  $B tune "${dist[@]}" --crop-sizes 64 --only adam --per-family --problems "$TUNE_PROBLEMS" --steps 128 \
     --output "$OUT/adam-64.json" > "$OUT/adam-64.txt"
fi
tuned=$(( $(date +%s) - start ))
{
  echo "# Learned optimizer on held-out style families"
  echo
  echo "Made by \`START=$START scripts/any-style-report.sh $MODEL $OUT\` on $(date -u +%Y-%m-%d)."
  if [ "$START" = palette ]; then
    echo "Every problem starts from its content crop recoloured to its style's colour statistics (\`--palette-start 1\`,"
    echo "as \`stylize\` starts by default); ADAM is tuned from that start too."
  fi
  echo "Test problems: styles drawn from the held-out families ($FAMILIES; never drawn in"
  echo "meta-training or its validation), content crops of the held-out photos (chelsea, rocket); test problem i"
  echo "has family i mod $(echo "$FAMILIES" | tr ',' '\n' | wc -l | tr -d ' ')."
  echo "ADAM's rate tuned per family at 64 px on $TUNE_PROBLEMS validation problems each (summed loss over 128 steps;"
  echo "[adam-64.txt](adam-64.txt)); the same rates at 128 and 256 px (the loss the optimizers see is size-normalized)."
  echo "Wall times were measured on the machine as it was (see the README for its load)."
  echo
} > "$OUT/README.md.tmp"
for size in 64 128 256; do
  n=$P64; [ "$size" = 128 ] && n=$P128; [ "$size" = 256 ] && n=$P256
  echo "== evaluate at $size px ($n problems)" >&2
  $B evaluate "${dist[@]}" --crop-sizes "$size" --model "$MODEL" --baselines "$OUT/adam-64.json" --problems "$n" --steps 128 \
     --table-steps 1 16 32 64 128 --by-family --csv "$OUT/$size.csv" --plot "$OUT/$size.svg" --json "$OUT/$size.json" \
     --quiet > "$OUT/$size.txt"
  {
    echo "## $size px"
    echo
    echo '```'
    cat "$OUT/$size.txt"
    echo '```'
    echo
    echo "![$size px]($size.svg)"
    echo
  } >> "$OUT/README.md.tmp"
done
# Coarse to fine, as stylize paints: 48 steps at half the crop size, then 32 at 64-128 px from
# the upsampled picture (the learned optimizer's state carried, ADAM afresh at each scale).
echo "== evaluate coarse to fine ($PC2F problems)" >&2
$B evaluate "${dist[@]}" --crop-sizes 64-128 --coarse-to-fine 48 --model "$MODEL" --baselines "$OUT/adam-64.json" \
   --problems "$PC2F" --steps 80 --table-steps 1 16 32 48 52 56 64 80 --by-family --csv "$OUT/c2f.csv" --plot "$OUT/c2f.svg" \
   --json "$OUT/c2f.json" --quiet > "$OUT/c2f.txt"
{
  echo "## Coarse to fine: 48 steps at half size, then 32 at 64–128 px"
  echo
  echo "As \`stylize\` paints above 256 px (\`--coarse-to-fine 48\`): losses up to step 47 are of the half-size"
  echo "problem, from step 48 of the full-size one started at the upsampled picture; the learned optimizer"
  echo "carries its state across, ADAM starts afresh (as in \`stylize\`). Steps to reach ADAM's final loss count"
  echo "from step 48."
  echo
  echo '```'
  cat "$OUT/c2f.txt"
  echo '```'
  echo
  echo "![coarse to fine](c2f.svg)"
  echo
} >> "$OUT/README.md.tmp"
echo "Tuning took ${tuned} s; the whole report $(( $(date +%s) - start )) s." >> "$OUT/README.md.tmp"
mv "$OUT/README.md.tmp" "$OUT/README.md"
echo "wrote $OUT/README.md" >&2
