#!/usr/bin/env bash
# Wall time and peak memory of `neural-art stylize` with its defaults at 512 px and at 1024 px,
# on the bundled images (the README's "Speed of the default pipeline" table).
# Usage: scripts/bench-stylize.sh [runs per size, default 3]. Run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
swift build -c release >/dev/null
B=.build/release/neural-art
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for size in 512 1024; do
    for content in images/chelsea.png images/astronaut.png; do
        for r in $(seq "$runs"); do
            if [ -x /usr/bin/time ]; then
                /usr/bin/time -f "size $size  $(basename "$content")  run $r: %e s wall, %M KB peak" \
                    "$B" stylize --quiet --size "$size" --content "$content" -o "$out/x.png"
            else
                s=$(date +%s.%N); "$B" stylize --quiet --size "$size" --content "$content" -o "$out/x.png"
                echo "size $size  $(basename "$content")  run $r: $(echo "$(date +%s.%N) - $s" | bc) s wall"
            fi
        done
    done
done
