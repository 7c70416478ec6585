#!/usr/bin/env bash
# Issue 2's sustained-write benchmark on a fresh database: (a) `rapport bench write` at each given
# concurrency, `runs` times each, against one `rapport serve`, then (c) idle memory.
# Usage: scripts/bench-write.sh sqlite|postgres [seconds] [runs] [concurrency...]
# RAPPORT_SQLITE_GROUP_COMMIT=off in the environment turns SQLite's group commit off (to compare).
set -euo pipefail
backend="$1"; seconds="${2:-20}"; runs="${3:-3}"; shift 3 || true
levels=("${@:-16 64}"); [ $# -eq 0 ] && levels=(16 64)
bench=wbench usage="$0 sqlite|postgres [seconds] [runs] [concurrency...]"
source "$(dirname "$0")/bench-setup.sh"
# The default limit (10,000 calls a minute per credential) would refuse most of a run.
RAPPORT_API_CALLS_PER_MINUTE=1000000000 "$bin" serve --listen "127.0.0.1:$port" --database-url "$db" > "$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "$url/healthz" > /dev/null && break; sleep 0.1; done
export RAPPORT_URL="$url" RAPPORT_TOKEN="$token"
for c in "${levels[@]}"; do
  for r in $(seq "$runs"); do
    echo "== write $backend concurrency $c run $r (group commit: ${RAPPORT_SQLITE_GROUP_COMMIT:-on})"
    "$bin" bench write --seconds "$seconds" --concurrency "$c" --server-pid "$server"
  done
done
kill "$server"; wait "$server" 2>/dev/null || true
echo "== memory $backend (after the runs above)"
"$bin" bench memory --database-url "$db" --idle-seconds 5
