#!/usr/bin/env bash
# Meta-training throughput on this machine: style meta-steps per second (the task's recipe:
# 2 problems per meta-step, 64-px crops, unroll 16) for 1 process × 1 thread, 1 process × 2
# threads and mpirun -np 2 (one thread per rank). Usage: scripts/bench-scaling.sh [meta-steps] [repeats]
# Per-step seconds come from the CSV log (rank 0's clock: compute plus the gather, which waits
# for the slower rank); the first meta-step of each run is left out (warm-up). Prints medians.
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-24}
repeats=${2:-3}
bin=.build/release/neural-art
[ -x "$bin" ] || swift build -c release >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=(); [ "$(id -u)" -eq 0 ] && root=(--allow-run-as-root)
args=(meta-train --task style --meta-steps "$steps" --validate-every 0 --validation-problems 2 --quiet)

# Mean seconds per meta-step of a log, without its first step.
per_step() { awk -F, 'NR > 2 { s += $7; n++ } END { printf "%.4f", s / n }' "$1"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

measure() {
    local label=$1; shift
    local times=()
    for r in $(seq "$repeats"); do
        "$@" "${args[@]}" --output "$work/$r.lstm" >/dev/null
        times+=("$(per_step "$work/$r.csv")")
    done
    local t; t=$(printf '%s\n' "${times[@]}" | median)
    printf '%-24s %8.4f s/meta-step  %6.3f meta-steps/s   (runs: %s)\n' "$label" "$t" "$(echo "1 / $t" | bc -l)" "${times[*]}"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
measure "1 process x 1 thread" env NEURALART_THREADS=1 "$bin"
measure "1 process x 2 threads" env NEURALART_THREADS=2 "$bin"
measure "2 processes x 1 thread" mpirun -np 2 "${root[@]}" "$bin"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
