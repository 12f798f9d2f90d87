#!/usr/bin/env bash
# Screenshot a page of the built dashboard (reports/build/) with headless Chromium.
#
#   scripts/screenshot_dashboard.sh [PAGE] [OUT.png] [WIDTHxHEIGHT]
#   scripts/screenshot_dashboard.sh / docs/dashboard.png 1280x1000   # the README's picture
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PAGE=${1:-/}
OUT=$(realpath -m "${2:-$ROOT/docs/dashboard.png}")
SIZE=${3:-1280x1000}
BUILD="$ROOT/reports/build"
PYTHON=${PYTHON:-$(command -v python3)}

[[ -f "$BUILD/index.html" ]] || { echo "[dashboard] no build: run scripts/build_dashboard.sh" >&2; exit 2; }
BROWSER=$("$ROOT/scripts/install_browser.sh" 2>/dev/null | tail -n 1)

PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$PYTHON" -m http.server "$PORT" --bind 127.0.0.1 --directory "$BUILD" >/dev/null 2>&1 &
SERVER=$!
PROFILE=$(mktemp -d)
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$PROFILE"' EXIT
for _ in $(seq 50); do
    "$PYTHON" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/')" 2>/dev/null && break
    sleep 0.1
done

mkdir -p "$(dirname "$OUT")"
timeout 120 "$BROWSER" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$PROFILE" --hide-scrollbars --virtual-time-budget=20000 \
    --window-size="${SIZE/x/,}" --screenshot="$OUT" "http://127.0.0.1:$PORT${PAGE}" 2>/dev/null
echo "[dashboard] $OUT ($(stat -c %s "$OUT") bytes)" >&2
