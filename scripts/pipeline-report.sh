#!/usr/bin/env bash
# The learned optimizer against per-style tuned ADAM in the real 512-px pipeline (coarse to fine,
# each on its stylize default schedule: ADAM 100 steps at 128 px, 60 at 256, 30 at 512; the
# learned optimizer 50, 30, 20), on held-out photos and held-out style families
# (issue 15's done-when). For each style (one sample of each family in FAMILIES, rendered at
# 512 px by `neural-art styles`):
#   1. ADAM's learning rate is tuned in the pipeline on a tuning photo (coffee; RATES, lowest
#      final loss);
#   2. ADAM at that rate and the learned optimizer paint each test photo (chelsea, rocket: never
#      used in training, tuning or as palettes);
#   3. from the runs' logs (stylize --log: the 512-px losses and the wall seconds at which each
#      was known): final losses, wall time, and the steps and seconds the learned optimizer
#      needs to reach ADAM's final loss.
# Writes <out>/README.md (tables), <out>/runs.csv and the pictures (<out>/pictures/).
#
# Usage: scripts/pipeline-report.sh [model] [out-dir]
#   FAMILIES  held-out families (default: dots,mosaic)
#   RATES     ADAM rates tried (default: 0.01 0.02 0.04)
#   SIZE      output size (default 512)
#   LSTM_FLAGS / ADAM_FLAGS  extra stylize flags for each (default: LSTM_FLAGS=--carry-state: the
#             learned optimizer keeps its memory across scales; ADAM starts each scale afresh,
#             which ends lower for it)
#   BIN       the binary (default: build .build/release/neural-art)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh reports
MODEL=${1:-models/neural-art.lstm}
OUT=${2:-docs/pipeline-report}
FAMILIES=${FAMILIES:-dots,mosaic}
RATES=${RATES:-0.01 0.02 0.04}
SIZE=${SIZE:-512}
LSTM_FLAGS=${LSTM_FLAGS---carry-state}
ADAM_FLAGS=${ADAM_FLAGS:-}
if [ -z "${BIN:-}" ]; then swift build -c release --product neural-art >&2; fi
B=${BIN:-.build/release/neural-art}
TUNE_PHOTO=images/coffee.png
TEST_PHOTOS="images/chelsea.png images/rocket.jpg"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$OUT/pictures"
$B styles --families "$FAMILIES" --samples 1 --size "$SIZE" --seed 11 --output-dir "$work/styles" --quiet >/dev/null
echo "style,photo,optimizer,learning_rate,final_loss,seconds,log" > "$work/runs.csv"
paint() {   # style photo optimizer lr tag
  local style=$1 photo=$2 opt=$3 lr=$4 tag=$5
  local log="$work/$tag.csv" pic="$work/$tag.jpg"
  local args=(stylize -q --content "$photo" --style "$style" --size "$SIZE" --optimizer "$opt" -o "$pic" --log "$log")
  if [ "$opt" = lstm ]; then args+=(--model "$MODEL" $LSTM_FLAGS); else args+=(--learning-rate "$lr" $ADAM_FLAGS); fi
  $B "${args[@]}"
  local last; last=$(tail -1 "$log")
  echo "$(basename "$style" .png),$(basename "$photo"),$opt,$lr,$(echo "$last" | cut -d, -f2),$(echo "$last" | awk -F, '{print $NF}'),$log" >> "$work/runs.csv"
}
for style in "$work"/styles/*.png; do
  name=$(basename "$style" .png)
  echo "== $name: tuning ADAM on $(basename $TUNE_PHOTO)" >&2
  best=""; bestLoss=""
  for lr in $RATES; do
    paint "$style" "$TUNE_PHOTO" adam "$lr" "tune-$name-$lr"
    loss=$(tail -1 "$work/tune-$name-$lr.csv" | cut -d, -f2)
    if [ -z "$bestLoss" ] || python3 -c "import sys; sys.exit(0 if float('$loss') < float('$bestLoss') else 1)"; then
      best=$lr; bestLoss=$loss
    fi
  done
  echo "   ADAM lr $best (final loss $bestLoss)" >&2
  for photo in $TEST_PHOTOS; do
    stem=$(basename "${photo%.*}")
    echo "== $name on $stem" >&2
    paint "$style" "$photo" adam "$best" "test-$name-$stem-adam"
    paint "$style" "$photo" lstm "" "test-$name-$stem-lstm"
    cp "$work/test-$name-$stem-adam.jpg" "$OUT/pictures/$stem-$name-adam.jpg"
    cp "$work/test-$name-$stem-lstm.jpg" "$OUT/pictures/$stem-$name-lstm.jpg"
  done
  cp "$style" "$work/$name-style.png"
  python3 - "$style" "$OUT/pictures/$name.jpg" <<'EOF'
import sys
from PIL import Image
Image.open(sys.argv[1]).convert("RGB").resize((128, 128), Image.LANCZOS).save(sys.argv[2], quality=90)
EOF
done
 LSTM_FLAGS="$LSTM_FLAGS" ADAM_FLAGS="$ADAM_FLAGS" python3 - "$work/runs.csv" "$OUT" "$MODEL" "$FAMILIES" "$RATES" "$SIZE" <<'EOF'
import csv, statistics, sys, os
runs_path, out, model, families, rates, size = sys.argv[1:]
rows = list(csv.DictReader(open(runs_path)))
def curve(path):
    r = list(csv.DictReader(open(path)))
    return [(float(x["total"]), float(x["seconds"])) for x in r]
table = []
# (loss, seconds) curves of each test run's ADAM and learned logs, read once: the table and the
# per-step means below both use them.
curves = []
for row in rows:
    if not os.path.basename(row["log"]).startswith("test-") or row["optimizer"] != "adam":
        continue
    lstm = next(r for r in rows if r["style"] == row["style"] and r["photo"] == row["photo"] and r["optimizer"] == "lstm"
                and os.path.basename(r["log"]).startswith("test-"))
    a, l = curve(row["log"]), curve(lstm["log"])
    curves.append(([x for x, _ in a], [x for x, _ in l]))
    target = a[-1][0]
    reach = next((t for t, (loss, _) in enumerate(l) if loss <= target), None)
    table.append(dict(style=row["style"], photo=row["photo"], lr=row["learning_rate"], adam=a[-1][0], lstm=l[-1][0],
                      adam_s=a[-1][1], lstm_s=l[-1][1], reach=reach, reach_s=None if reach is None else l[reach][1],
                      adam_first=a[1][0], lstm_first=l[1][0]))
with open(os.path.join(out, "runs.csv"), "w") as f:
    w = csv.writer(f)
    w.writerow(["style", "photo", "adam_lr", "adam_final", "lstm_final", "adam_seconds", "lstm_seconds",
                "lstm_steps_to_adam_final", "lstm_seconds_to_adam_final", "adam_step1", "lstm_step1"])
    for t in table:
        w.writerow([t["style"], t["photo"], t["lr"], t["adam"], t["lstm"], t["adam_s"], t["lstm_s"],
                    "" if t["reach"] is None else t["reach"], "" if t["reach_s"] is None else t["reach_s"],
                    t["adam_first"], t["lstm_first"]])
wins = sum(t["lstm"] < t["adam"] for t in table)
ratio = statistics.mean(t["lstm"] / t["adam"] for t in table)
time_ratio = [t["reach_s"] / t["adam_s"] for t in table if t["reach_s"] is not None]
run_ratio = [t["lstm_s"] / t["adam_s"] for t in table]   # whole runs, learned ÷ ADAM
md = [f"# Learned optimizer in the {size}-px pipeline: report", "",
      f"Made by `scripts/pipeline-report.sh {model} {out}` (FAMILIES={families}, RATES=\"{rates}\", "
      f"LSTM_FLAGS=\"{os.environ.get('LSTM_FLAGS', '')}\", ADAM_FLAGS=\"{os.environ.get('ADAM_FLAGS', '')}\").",
      f"Coarse to fine from stylize's default start (`--init palette`) on its default schedules unless the flags change them (ADAM 100 steps at 128 px, each finer scale below {size} px 0.6× the one before, 30 at {size}; the learned optimizer 50 at 128 px, then 0.6× per scale, 20 at {size}); held-out photos chelsea and rocket; one",
      "style sample per held-out family; ADAM's rate tuned per style on coffee (lowest final loss).",
      "Losses are the total loss at the output scale; seconds are wall seconds since the start (all scales).", "",
      "| style | photo | ADAM lr | ADAM final | learned final | ADAM s | learned s | learned steps to ADAM's final | learned s to ADAM's final | step 1 ADAM / learned |",
      "|---|---|---|---|---|---|---|---|---|---|"]
for t in table:
    reach = "never" if t["reach"] is None else str(t["reach"])
    reach_s = "—" if t["reach_s"] is None else f"{t['reach_s']:.1f}"
    md.append(f"| {t['style']} | {t['photo']} | {t['lr']} | {t['adam']:.4g} | {t['lstm']:.4g} | {t['adam_s']:.1f} | {t['lstm_s']:.1f} | {reach} | {reach_s} | {t['adam_first']:.4g} / {t['lstm_first']:.4g} |")
# Mean loss over the runs at a few of the last scale's steps (each run's curve indexed by step; the
# two optimizers may take different numbers of steps there: "—" past an optimizer's last step).
lasts = [min(len(c[pick]) for c in curves) - 1 for pick in (0, 1)]
marks = sorted({k for k in (1, 4, 8, 16, *lasts) if k <= max(lasts)})
md += ["", f"Mean loss over the {len(curves)} runs at steps of the {size}-px scale (step 0: its start):", "",
       "| optimizer | " + " | ".join(f"step {k}" for k in marks) + " |", "|---|" + "---|" * len(marks)]
for name, pick in (("ADAM", 0), ("learned", 1)):
    md.append(f"| {name} | " + " | ".join(f"{statistics.mean(c[pick][k] for c in curves):.4f}" if k <= lasts[pick] else "—"
                                          for k in marks) + " |")
md.append("| learned below ADAM (runs) | " + " | ".join(f"{sum(c[1][k] < c[0][k] for c in curves)} of {len(curves)}"
                                                    if k <= min(lasts) else "—" for k in marks) + " |")
md += ["", f"Learned optimizer below ADAM at the end: {wins} of {len(table)} runs; mean final-loss ratio learned/ADAM {ratio:.3f}.",
       (f"Whole runs: learned {statistics.median(t['lstm_s'] for t in table):.1f} s, ADAM "
        f"{statistics.median(t['adam_s'] for t in table):.1f} s (medians); learned/ADAM per run: median "
        f"{statistics.median(run_ratio):.2f}×, {min(run_ratio):.2f}–{max(run_ratio):.2f}×."),
       (f"Reaches ADAM's final loss in {len(time_ratio)} of {len(table)} runs; median wall time to get there "
        f"{statistics.median(time_ratio):.2f}× ADAM's whole run." if time_ratio else "Never reaches ADAM's final loss."), ""]
md += ["Pictures (style, ADAM, learned):", ""]
for t in table:
    stem = os.path.splitext(t["photo"])[0]
    md.append(f"<img src=\"pictures/{t['style']}.jpg\" width=\"96\"> <img src=\"pictures/{stem}-{t['style']}-adam.jpg\" width=\"256\"> "
              f"<img src=\"pictures/{stem}-{t['style']}-lstm.jpg\" width=\"256\">  ")
open(os.path.join(out, "README.md"), "w").write("\n".join(md) + "\n")
print("\n".join(md[7:md.index("Pictures (style, ADAM, learned):")]))
EOF
