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
#   HANDSHAKE_DASHBOARD_PRUNE     1 (default) | 0: leave out of reports/build/ the
#                                 files no browser that can run DuckDB-Wasm's
#                                 default build loads (below; 0 keeps them)
#
# Output: reports/build/ (static site, rebuilt from scratch). Steps: npm ci (only
# when node_modules does not match package-lock.json), `evidence sources --strict`,
# `evidence build:strict`, then the files no current browser loads are left out.
# Each step prints how long it has been running every
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

# 4. Leave out what no browser that runs the site loads (each page looked at in
#    Chromium requests neither; scripts/look_at_dashboard.py lists the requests
#    and the browser test fails on a request for a missing file):
#    - DuckDB-Wasm's "mvp" build (wasm and worker, about 40 MB): Evidence ships
#      it next to the "eh" build and picks one in the browser by feature
#      detection; mvp is for browsers without WebAssembly exceptions, which
#      Chrome and Edge have had since 95, Firefox since 100, Safari since 15.2;
#    - the .woff fonts (3.6 MB): each Inter face also comes as .woff2, which the
#      stylesheet lists first and every one of those browsers reads.
#    An older browser still shows the prerendered pages; only what re-queries
#    DuckDB-Wasm in the browser (a table's search box) would not work there.
if [[ "${HANDSHAKE_DASHBOARD_PRUNE:-1}" != 0 ]]; then
    shopt -s nullglob
    assets=build/_app/immutable/assets
    pruned=()
    eh=("$assets"/duckdb-eh.*.wasm)
    if (( ${#eh[@]} )); then
        pruned+=("$assets"/duckdb-mvp.*.wasm build/_app/immutable/workers/duckdb-browser-mvp.worker-*.js)
    else
        say "no DuckDB-Wasm eh build in $assets: keeping the mvp build"
    fi
    for woff in "$assets"/*.woff; do
        face=$(basename "$woff")
        woff2=("$assets/${face%%.*}".*.woff2)
        (( ${#woff2[@]} )) && pruned+=("$woff")
    done
    if (( ${#pruned[@]} )); then
        saved=$(du -cb "${pruned[@]}" | tail -n 1 | cut -f1)
        rm -f "${pruned[@]}"
        say "left out ${#pruned[@]} files no current browser loads ($((saved / 1000000)) MB: DuckDB-Wasm mvp build, .woff fonts)"
    fi
    shopt -u nullglob
fi

# MB (10^6 bytes) of file content under the paths given
mb() { find "$@" -type f -printf '%s\n' 2>/dev/null | awk '{s += $1} END {printf "%.1f", s / 1e6}'; }
say "built reports/build/ in $((SECONDS - started)) s: $(mb build) MB, of which" \
    "DuckDB-Wasm $(mb build/_app/immutable/assets/*.wasm build/_app/immutable/workers/duckdb-*) MB," \
    "other scripts $(mb build/_app/immutable/chunks build/_app/immutable/nodes build/_app/immutable/entry) MB," \
    "fonts $(mb build/_app/immutable/assets/*.woff*) MB," \
    "data $(mb build/data build/api) MB (sources and prerendered query results)"
