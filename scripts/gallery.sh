#!/usr/bin/env bash
# Regenerates docs/gallery: every bundled style on four bundled photos at 512 px with the
# default settings (plus the grey camera photo with --init palette), as JPEG.
# Usage: scripts/gallery.sh   (about 15 s a picture on an idle 2-core machine)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release >/dev/null
B=.build/release/neural-art
mkdir -p docs/gallery
for photo in chelsea.png coffee.png rocket.jpg astronaut.png; do
    for style in swirls.png stained-glass.png hubble_deep_field.jpg brick.png gravel.png grass.png; do
        out="docs/gallery/${photo%.*}-${style%.*}.jpg"
        echo "$out" >&2
        "$B" stylize --quiet --content "images/$photo" --style "images/$style" -o "$out"
    done
done
for style in swirls.png stained-glass.png; do
    "$B" stylize --quiet --content images/camera.png --style "images/$style" --init palette \
        -o "docs/gallery/camera-${style%.*}-palette.jpg"
done
