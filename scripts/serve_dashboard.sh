#!/usr/bin/env bash
# Serve the built dashboard (reports/build/) on http://127.0.0.1:${DASHBOARD_PORT:-3001}.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD="$ROOT/reports/build"
PORT=${DASHBOARD_PORT:-3001}
PYTHON=${PYTHON:-$(command -v python3)}

if [[ ! -f "$BUILD/index.html" ]]; then
    echo "[dashboard] no build in $BUILD: run scripts/build_dashboard.sh first" >&2
    exit 2
fi
echo "[dashboard] http://127.0.0.1:$PORT/ (Ctrl-C to stop)" >&2
exec "$PYTHON" -m http.server "$PORT" --bind 127.0.0.1 --directory "$BUILD"
