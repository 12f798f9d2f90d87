#!/usr/bin/env bash
# Make sure Debian's headless-capable Chromium is installed (for the dashboard
# browser test and docs/dashboard.png). Prints the browser's path.
set -euo pipefail

BROWSER=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x "$BROWSER" ]]; then
    if [[ $(id -u) -ne 0 ]]; then
        echo "[browser] $BROWSER is missing: run 'sudo apt-get install -y chromium'" >&2
        exit 3
    fi
    echo "[browser] installing chromium from Debian" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2
fi
"$BROWSER" --version >&2
echo "$BROWSER"
