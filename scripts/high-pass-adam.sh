#!/usr/bin/env bash
# ADAM on a spatially filtered gradient (scripts/experiments/high-pass-adam/): where the
# style loss's slow directions are (docs/TAIL.md). Builds a throwaway package against this
# checkout in .build-experiments/ and runs it on one compute thread.
#
#   scripts/high-pass-adam.sh [size] [problems] [configs] [rates] [model]   (model: also run that
#                                   learned optimizer on each filtered gradient; one without a high-pass)
#   e.g. scripts/high-pass-adam.sh 64 12 "plain;r8=8:-0.7;r16=16:-0.7;low8=8:3" 0.045,0.068,0.1
#   (a configuration is name=radius:gain,radius:gain,…; the term yuv:s runs ADAM in the
#   luminance/chroma basis with the chroma steps scaled by s; the term pyr:L:w runs it on a
#   nearest-neighbour pyramid of L coarser levels, level l weighted w^l)
#   scripts/high-pass-adam.sh oracle size problems model: ADAM and the model with a greedy
#   line-search oracle on their step size, and L-BFGS (docs/TAIL.md section 7)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dir=.build-experiments/high-pass-adam
rm -rf "$dir/Sources/high-pass-adam"
mkdir -p "$dir/Sources"
cp -R scripts/experiments/high-pass-adam "$dir/Sources/high-pass-adam"
cat > "$dir/Package.swift" <<SWIFT
// swift-tools-version:6.1
import PackageDescription
let package = Package(
    name: "high-pass-adam",
    dependencies: [.package(path: "$root")],
    targets: [.executableTarget(name: "high-pass-adam", dependencies: [
        .product(name: "NeuralArt", package: "$(basename "$root")"),
        .product(name: "MetaLearning", package: "$(basename "$root")")],
        swiftSettings: [.swiftLanguageMode(.v5)])]
)
SWIFT
if ! (cd "$dir" && swift build -c release >build.log 2>&1); then
  echo "high-pass-adam: the build failed (see $dir/build.log)" >&2; exit 1
fi
NEURALART_THREADS=1 "$dir/.build/release/high-pass-adam" "${1:-64}" "${2:-12}" \
    "${3:-plain;low8=8:3;high8=8:-0.7;high16=16:-0.7}" "${4:-0.045,0.068,0.1}" ${5:+"$5"}
