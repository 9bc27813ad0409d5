#!/usr/bin/env bash
# Checks, and where possible installs, the system packages NeuralArt needs:
# OpenBLAS (matrix products), libpng and libjpeg (image files), pkg-config (to find them),
# zlib (gzip'd datasets), Open MPI (scaling out with mpirun) and Fashion-MNIST (the MLP and
# conv tasks' data).
# Idempotent and quiet when everything is present. Run by the README commands and .ci/run.
#
#   scripts/setup.sh            what building, running and testing need
#   scripts/setup.sh reports    also Python's Pillow, NumPy and SciPy, which the report scripts
#                               use for thumbnails and the style distance (run by those scripts)
set -euo pipefail

need=()
if [ "${1:-}" = reports ]; then
    # Into the python3 the scripts run (pip; a Debian system Python refuses pip: apt-get then).
    modules=()
    for m in PIL:pillow numpy:numpy scipy:scipy; do python3 -c "import ${m%%:*}" 2>/dev/null || modules+=("${m#*:}"); done
    [ ${#modules[@]} -gt 0 ] && echo "neural-art setup: installing ${modules[*]} for $(command -v python3) …" >&2
    if [ ${#modules[@]} -gt 0 ] && ! python3 -m pip install -q "${modules[@]}" >/dev/null 2>&1; then
        for m in "${modules[@]}"; do [ "$m" = pillow ] && need+=(python3-pil) || need+=("python3-$m"); done
    fi
fi
have_pc() { pkg-config --exists "$1" 2>/dev/null; }
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
have_pc openblas || need+=(libopenblas-dev)
have_pc libpng || need+=(libpng-dev)
# libjpeg ships a pkg-config file only in newer releases; check the header instead.
[ -f /usr/include/jpeglib.h ] || [ -f /usr/include/x86_64-linux-gnu/jpeglib.h ] \
    || [ -f /usr/include/aarch64-linux-gnu/jpeglib.h ] || have_pc libjpeg || need+=(libjpeg-dev)
have_pc zlib || [ -f /usr/include/zlib.h ] || need+=(zlib1g-dev)
# Open MPI: the library and headers to build, mpirun to launch several ranks.
have_pc ompi-c || need+=(libopenmpi-dev)
command -v mpirun >/dev/null 2>&1 || need+=(openmpi-bin)
# Fashion-MNIST's gzip'd IDX files (Debian package dataset-fashion-mnist).
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || need+=(dataset-fashion-mnist)

# The report scripts' Python modules, checked once the installs are done.
check_reports() {
    [ "${1:-}" = reports ] || return 0
    python3 -c "import PIL, numpy, scipy" 2>/dev/null && return 0
    echo "neural-art setup: $(command -v python3) cannot import Pillow, NumPy and SciPy; install them for it (python3 -m pip install pillow numpy scipy)" >&2
    exit 1
}

if [ ${#need[@]} -eq 0 ]; then
    check_reports "${1:-}"
    exit 0
fi

if [ "$(uname -s)" != "Linux" ] || ! command -v apt-get >/dev/null 2>&1; then
    libs=()
    for p in "${need[@]}"; do [ "$p" = dataset-fashion-mnist ] || libs+=("$p"); done
    if [ ${#libs[@]} -ne ${#need[@]} ]; then
        echo "neural-art setup: Fashion-MNIST is not in /usr/share/datasets/fashion-mnist;" \
            "put its four IDX files in a directory and pass --data <dir> (its tests are skipped)." >&2
    fi
    [ ${#libs[@]} -eq 0 ] && exit 0
    echo "neural-art setup: missing system packages: ${libs[*]}." >&2
    echo "Install OpenBLAS, libpng, libjpeg, zlib and Open MPI development files (and mpirun) with your package manager" \
        "(the reports also need Python's Pillow, NumPy and SciPy)." >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "neural-art setup: missing ${need[*]}; run as root: apt-get install -y ${need[*]}" >&2
        exit 1
    fi
fi
echo "neural-art setup: installing ${need[*]} with apt-get …" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
if ! $SUDO apt-get install -y -qq "${need[@]}" >&2; then
    echo "neural-art setup: apt-get could not install ${need[*]}" >&2
    exit 1
fi
check_reports "${1:-}"
echo "neural-art setup: done." >&2
