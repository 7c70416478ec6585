#!/usr/bin/env bash
# Where PostgreSQL's backends wait during `rapport bench write`: samples pg_stat_activity (wait
# event and statement of every active backend of the bench database) while the bench runs, then
# counts the samples. Usage: scripts/bench-pg-waits.sh [concurrency] [extra `bench write` flags…]
#   e.g. scripts/bench-pg-waits.sh 16 --shared-contact
set -euo pipefail
concurrency="${1:-16}"; shift || true
backend=postgres bench=pgwaits usage="$0 [concurrency] [bench write flags]"
source "$(dirname "$0")/bench-setup.sh"
RAPPORT_API_CALLS_PER_MINUTE=1000000000 "$bin" serve --listen "127.0.0.1:$port" --database-url "$db" > "$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "$url/healthz" > /dev/null && break; sleep 0.1; done
RAPPORT_URL="$url" RAPPORT_TOKEN="$token" "$bin" bench write --seconds 12 --concurrency "$concurrency" \
  --server-pid "$server" "$@" > "$work/write.txt" &
writer=$!
sleep 2
for _ in $(seq 40); do
  psql -h 127.0.0.1 -U postgres -Atc "SELECT coalesce(wait_event_type, 'cpu') || ':' || coalesce(wait_event, '-') \
    || ' ' || left(regexp_replace(query, '\s+', ' ', 'g'), 60) FROM pg_stat_activity \
    WHERE datname = '$name' AND state <> 'idle'" postgres
  sleep 0.2
done > "$work/waits.txt"
wait "$writer"
cat "$work/write.txt"
echo "== wait samples (count, wait event, statement)"
sort "$work/waits.txt" | uniq -c | sort -rn | head -25
