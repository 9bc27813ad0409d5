#!/usr/bin/env bash
# Wall time and peak memory of `neural-art stylize` with its defaults at 512 px and at 1024 px,
# on the bundled images (the README's "Speed of the default pipeline" table), and the same with
# `--optimizer adam` (ADAM on its own default schedule).
# Usage: scripts/bench-stylize.sh [runs per size, default 3]. Run it on an otherwise idle machine.
#   OPTIMIZERS  which to run (default: "default adam"; "default" = no --optimizer flag)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
swift build -c release >/dev/null
B=.build/release/neural-art
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for size in 512 1024; do
    for content in images/chelsea.png images/astronaut.png; do
        for opt in ${OPTIMIZERS:-default adam}; do
            flags=()
            [ "$opt" != default ] && flags=(--optimizer "$opt")
            for r in $(seq "$runs"); do
                label="size $size  $(basename "$content")  $opt  run $r"
                if [ -x /usr/bin/time ]; then
                    /usr/bin/time -f "$label: %e s wall, %M KB peak" \
                        "$B" stylize --quiet --size "$size" --content "$content" "${flags[@]}" -o "$out/x.png"
                else
                    s=$(date +%s.%N); "$B" stylize --quiet --size "$size" --content "$content" "${flags[@]}" -o "$out/x.png"
                    echo "$label: $(echo "$(date +%s.%N) - $s" | bc) s wall"
                fi
            done
        done
    done
done
