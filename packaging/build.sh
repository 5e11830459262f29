#!/usr/bin/env bash
# Build the one-folder desktop app: packaging/dist/ftstudio/ftstudio (run from anywhere).
# Needs PyInstaller (pip install pyinstaller) in the Python that has FT Studio's dependencies.
# The bundle holds the installed torch: a CUDA build makes it several GB, a CPU-only torch
# (see the README's install section) far smaller.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$HERE/.."
start=$(date +%s)
python -m PyInstaller --noconfirm --log-level WARN \
    --distpath "$HERE/dist" --workpath "$HERE/build" "$HERE/ftstudio.spec"
end=$(date +%s)
echo "build time: $((end - start)) s"
echo "bundle: $HERE/dist/ftstudio ($(du -sh "$HERE/dist/ftstudio" | cut -f1))"
