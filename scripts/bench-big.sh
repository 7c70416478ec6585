#!/usr/bin/env bash
# Issue 2's benchmark set on one backend, end to end: a fresh database, a workspace with a team,
# 1,000,000 conversations / 5,000,000 parts, then the query, write and memory benchmarks.
# Usage: scripts/bench-big.sh sqlite|postgres [conversations]
# Prints every report; docs/BENCHMARKS.md records the figures.
set -euo pipefail
backend="$1"
conversations="${2:-1000000}"
bench=bench usage="$0 sqlite|postgres [conversations]"
source "$(dirname "$0")/bench-setup.sh"

serve() {
  "$bin" serve --listen "127.0.0.1:$port" --database-url "$db" --api-calls-per-minute 100000000 > "$work/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do curl -sf "$url/healthz" > /dev/null && return; sleep 0.1; done
  echo "server did not start" >&2; cat "$work/serve.log" >&2; exit 1
}
serve
admin_id=$(curl -sf -H "Authorization: Bearer $token" "$url/api/me" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d "{\"name\":\"Support\",\"admin_ids\":[\"$admin_id\"]}" "$url/api/teams" > /dev/null
kill "$server"; wait "$server" || true

echo "== seed $conversations conversations ($backend)"
start=$(date +%s)
"$bin" bench seed --database-url "$db" --workspace "$app_id" --conversations "$conversations" --parts 5 \
  --contacts $((conversations / 10))
echo "seed wall clock: $(( $(date +%s) - start )) s"
# PostgreSQL plans from statistics that autovacuum gathers only later, and the GIN indexes scan their
# pending list of bulk-inserted rows on every search until a vacuum (SQLite refreshes its statistics in
# the seed): without both the contact search took 417 ms (no statistics) or 21 ms more (pending list).
if [ "$backend" = postgres ]; then psql -q -h 127.0.0.1 -U postgres -c "VACUUM (ANALYZE)" "$name"; fi
du -sh "$work" 2>/dev/null || true

serve
export RAPPORT_URL="$url" RAPPORT_TOKEN="$token"
echo "== query ($backend)"
"$bin" bench query --seconds "${QUERY_SECONDS:-8}" --concurrency 8 --depth 50 --word invoice
echo "== views ($backend): the agent app's inbox and conversation views, 8 agents"
"$bin" bench views --seconds "${VIEWS_SECONDS:-20}" --concurrency 8
echo "== write ($backend)"
"$bin" bench write --seconds 15 --concurrency 16
kill "$server"; wait "$server" || true
echo "== memory ($backend, big database)"
"$bin" bench memory --database-url "$db" --idle-seconds 5
