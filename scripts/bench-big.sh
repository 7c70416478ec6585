#!/usr/bin/env bash
# Issue 2's benchmark set on one backend, end to end: a fresh database, a workspace with a team,
# 1,000,000 conversations / 5,000,000 parts, then the query, write and memory benchmarks.
# Usage: scripts/bench-big.sh sqlite|postgres [conversations]
# Prints every report; docs/BENCHMARKS.md records the figures.
set -euo pipefail
backend="$1"
conversations="${2:-1000000}"
bin="${RAPPORT_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/rapport-target}/release/rapport}"
work=$(mktemp -d /tmp/rapport-bench-XXXX)
case "$backend" in
  sqlite) db="sqlite://$work/rapport.db" ;;
  postgres)
    name="rapport_bench_$(date +%s)"
    psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $name" postgres
    db="postgres://postgres@127.0.0.1:5432/$name" ;;
  *) echo "usage: $0 sqlite|postgres [conversations]" >&2; exit 2 ;;
esac
port=$((20000 + RANDOM % 20000))
url="http://127.0.0.1:$port"
app_id=$("$bin" workspace create --database-url "$db" --name Bench | tail -n 1)
"$bin" admin create --database-url "$db" --workspace "$app_id" --email bench@example.com --name "Bench Owner" \
  --password bench-password --role owner > /dev/null
token=$("$bin" token create --database-url "$db" --workspace "$app_id" --admin bench@example.com | tail -n 1)

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
du -sh "$work" 2>/dev/null || true

serve
export RAPPORT_URL="$url" RAPPORT_TOKEN="$token"
echo "== query ($backend)"
"$bin" bench query --seconds "${QUERY_SECONDS:-8}" --concurrency 8 --depth 50 --word invoice
echo "== write ($backend)"
"$bin" bench write --seconds 15 --concurrency 16
kill "$server"; wait "$server" || true
echo "== memory ($backend, big database)"
"$bin" bench memory --database-url "$db" --idle-seconds 5
