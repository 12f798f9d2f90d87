#!/usr/bin/env bash
# Screenshots of the built dashboard (reports/build/) for the README, one per
# page, with headless Chromium (scripts/look_at_dashboard.py).
#
#   scripts/screenshot_dashboard.sh [OUT_DIR] [WIDTHxHEIGHT]
#   scripts/screenshot_dashboard.sh docs 1280x900     # the README's pictures
#
# Writes OUT_DIR/dashboard-<page>.png (index = the overview): the first
# WIDTHxHEIGHT pixels of each page; and, for the sections further down that the
# README shows, OUT_DIR/dashboard-<page>-<section>.png (SECTIONS below). When pngquant is installed (Debian package
# pngquant) the pictures are quantized to 256 colours, a third of the size.
# Prints each page's horizontal overflow, if any.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$(realpath -m "${1:-$ROOT/docs}")
SIZE=${2:-1280x900}
BUILD="$ROOT/reports/build"
PYTHON=${PYTHON:-$(command -v python3)}

[[ -f "$BUILD/index.html" ]] || { echo "[dashboard] no build: run scripts/build_dashboard.sh" >&2; exit 2; }
CHROMIUM=$("$ROOT/scripts/install_browser.sh" 2>/dev/null | tail -n 1)
export CHROMIUM

# name=CSS selector list: the part of a page around the elements it matches
SECTIONS=(
    "teams=[data-chart=team-forecasts],[data-table=team-forecasts]"
    "pipeline-flow=[data-chart=pipeline-flow],[data-table=pipeline-flow]"
    "by-category=[data-chart=pipeline-by-category]"
)
section_args=()
for section in "${SECTIONS[@]}"; do section_args+=(--section "$section"); done

LOOK=$(mktemp -d)
trap 'rm -rf "$LOOK"' EXIT
"$PYTHON" "$ROOT/scripts/look_at_dashboard.py" --site "$BUILD" --out "$LOOK" \
    --width "${SIZE%x*}" --height "${SIZE#*x}" "${section_args[@]}" >&2

mkdir -p "$OUT"
for png in "$LOOK"/*.png; do
    target="$OUT/dashboard-$(basename "$png")"
    if command -v pngquant >/dev/null; then
        pngquant --force --skip-if-larger --output "$target" 256 -- "$png" || cp "$png" "$target"
    else
        cp "$png" "$target"
    fi
    echo "[dashboard] $target ($(stat -c %s "$target") bytes)" >&2
done
