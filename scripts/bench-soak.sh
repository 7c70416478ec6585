#!/usr/bin/env bash
# Issue 17 point 6's soak on a fresh database: starts a release `rapport serve` (webhooks to
# loopback allowed, rate limits lifted), creates a workspace and token, runs `rapport bench soak`
# against it, stops the server. Extra arguments go to `bench soak` (e.g. --warm-up-seconds 30).
# Usage: scripts/bench-soak.sh sqlite|postgres [minutes] [bench soak options...]
# The server inherits the environment: MALLOC_ARENA_MAX=2 scripts/bench-soak.sh … compares glibc's arenas.
set -euo pipefail
backend="$1"; minutes="${2:-10}"; shift 2 || shift $#
bench=soak usage="$0 sqlite|postgres [minutes] [bench soak options...]"
source "$(dirname "$0")/bench-setup.sh"
"$bin" serve --listen "127.0.0.1:$port" --database-url "$db" --allow-private-webhooks \
  --api-calls-per-minute 1000000000 --messenger-calls-per-minute-per-ip 100000000 \
  --messenger-calls-per-minute-per-app 100000000 > "$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "$url/healthz" > /dev/null && break; sleep 0.1; done
echo "== soak $backend, $minutes min, $(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$(dirname "$0")" rev-parse --short HEAD), $bin"
"$bin" bench soak --url "$url" --token "$token" --server-pid "$server" --minutes "$minutes" "$@"
kill "$server"; wait "$server" 2>/dev/null || true
echo "server log: $work/serve.log"
