#!/usr/bin/env bash
# Build the shared dashboard (Evidence, reports/) from the published warehouse.
#
#   scripts/build_dashboard.sh            # reads $HANDSHAKE_PUBLISH_DIR/handshake.duckdb
#
# Environment:
#   HANDSHAKE_PUBLISH_DIR         publish folder (default, as the pipeline's:
#                                 publish/ beside $HANDSHAKE_WAREHOUSE, i.e. data/publish)
#   HANDSHAKE_DASHBOARD_OFFLINE   auto (default) | 1 | 0: use reports/offline/, the
#                                 shim that spares DuckDB-Wasm its Parquet extension
#                                 download; auto = when DuckDB's extension host
#                                 does not answer within 5 s
#   HANDSHAKE_DASHBOARD_TIMEOUT   seconds each npm step may take (default 900)
#
# Output: reports/build/ (static site, rebuilt from scratch). Steps: npm ci (only
# when node_modules does not match package-lock.json), `evidence sources --strict`,
# `evidence build:strict`. Each step prints how long it has been running every
# HANDSHAKE_DASHBOARD_PROGRESS seconds (default 15), since npm ci and the build
# say nothing for minutes.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPORTS="$ROOT/reports"
cd "$ROOT"  # relative paths in HANDSHAKE_* are taken from the repository root
WAREHOUSE=${HANDSHAKE_WAREHOUSE:-data/warehouse.duckdb}
PUBLISH_DIR=$(realpath -m "${HANDSHAKE_PUBLISH_DIR:-$(dirname "$WAREHOUSE")/publish}")
DATABASE="$PUBLISH_DIR/handshake.duckdb"
STEP_TIMEOUT=${HANDSHAKE_DASHBOARD_TIMEOUT:-900}
OFFLINE=${HANDSHAKE_DASHBOARD_OFFLINE:-auto}

say() { printf '[dashboard] %s\n' "$*" >&2; }

command -v npm >/dev/null || { say "npm is not installed (Node.js 20 and npm are needed)"; exit 3; }
if [[ ! -f "$DATABASE" ]]; then
    say "no published warehouse at $DATABASE: run 'make demo' first or set HANDSHAKE_PUBLISH_DIR"
    exit 2
fi

# One build at a time: Evidence works inside reports/ (.evidence/, build/).
exec 9>"$REPORTS/.build.lock"
flock 9

cd "$REPORTS"
PROGRESS=${HANDSHAKE_DASHBOARD_PROGRESS:-15}

# Run a step under the timeout; while it runs, say every $PROGRESS s how long it
# has taken (and what it has written so far, when $2 names a folder to measure).
run() {
    local label=$1 watch=$2
    shift 2
    local started=$SECONDS
    (
        while sleep "$PROGRESS"; do
            written=""
            [[ -n "$watch" && -d "$watch" ]] && written=", $(du -sm "$watch" 2>/dev/null | cut -f1) MB in $watch"
            say "$label: $((SECONDS - started)) s$written"
        done
    ) &
    local ticker=$! status=0
    timeout --kill-after=30 "$STEP_TIMEOUT" "$@" || status=$?
    kill "$ticker" 2>/dev/null || true
    wait "$ticker" 2>/dev/null || true
    if [[ $status -ne 0 ]]; then
        say "$label failed after $((SECONDS - started)) s (exit $status)"
        return "$status"
    fi
    say "$label took $((SECONDS - started)) s"
}

# 1. Dependencies, exactly as locked.
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ "$(cat node_modules/.handshake-lock-hash 2>/dev/null)" != "$lock_hash" ]]; then
    say "npm ci (node_modules does not match package-lock.json; a few minutes)"
    run "npm ci" node_modules npm ci --no-audit --no-fund
    echo "$lock_hash" > node_modules/.handshake-lock-hash
fi

# 2. The source reads the published file; the DuckDB driver wants a path
#    relative to sources/handshake/.
source_dir=$(realpath sources/handshake)
EVIDENCE_SOURCE__handshake__filename=$(realpath -m --relative-to="$source_dir" "$(realpath "$DATABASE")")
export EVIDENCE_SOURCE__handshake__filename
say "source: $DATABASE"

# 3. Offline shim, only without a route to DuckDB's extension repository.
if [[ "$OFFLINE" == auto ]]; then
    if node offline/probe.mjs; then OFFLINE=0; else OFFLINE=1; fi
fi
if [[ "$OFFLINE" == 1 ]]; then
    say "offline: DuckDB-Wasm reads Parquet through reports/offline/ (no extension download)"
    export NODE_OPTIONS="${NODE_OPTIONS:-} --import=$REPORTS/offline/register.mjs"
fi

export SEND_ANONYMOUS_USAGE_STATS=no
started=$SECONDS
# From scratch: Evidence copies its output over reports/build/ and keeps every
# data file an earlier build wrote, so the site would grow with each build.
rm -rf build .evidence/template/build .evidence/template/static/data
say "evidence sources --strict (the rows the pages show, from the published file)"
run "evidence sources" "" npm run --silent sources -- --strict
say "evidence build:strict (bundles and prerenders every page; a few minutes)"
run "evidence build" .evidence/template/build npm run --silent build:strict
say "built reports/build/ in $((SECONDS - started)) s: $(du -sm build | cut -f1) MB, of which data $(du -sm build/data | cut -f1) MB"
