#!/usr/bin/env bash
# Issue 17 point 6's soak on a fresh database: starts a release `rapport serve` (webhooks to
# loopback allowed, rate limits lifted), creates a workspace and token, runs `rapport bench soak`
# against it, stops the server. Extra arguments go to `bench soak` (e.g. --warm-up-seconds 30).
# Usage: scripts/bench-soak.sh sqlite|postgres [minutes] [bench soak options...]
# The server inherits the environment: MALLOC_ARENA_MAX=2 scripts/bench-soak.sh … compares glibc's arenas.
# RAPPORT_SERVE_PREFIX runs the server under a tool, e.g. RAPPORT_SERVE_PREFIX="heaptrack -o /tmp/soak".
set -euo pipefail
backend="$1"; minutes="${2:-10}"; shift 2 || shift $#
bench=soak usage="$0 sqlite|postgres [minutes] [bench soak options...]"
source "$(dirname "$0")/bench-setup.sh"
${RAPPORT_SERVE_PREFIX:-} "$bin" serve --listen "127.0.0.1:$port" --database-url "$db" --allow-private-webhooks \
  --api-calls-per-minute 1000000000 --messenger-calls-per-minute-per-ip 100000000 \
  --messenger-calls-per-minute-per-app 100000000 > "$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 300); do curl -sf "$url/healthz" > /dev/null && break; sleep 0.1; done
# Under a prefix the server is the tool's child: sample that process.
pid=$server
[ -n "${RAPPORT_SERVE_PREFIX:-}" ] && pid=$(pgrep -n -f "$bin serve --listen 127.0.0.1:$port")
echo "== soak $backend, $minutes min, $(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$(dirname "$0")" rev-parse --short HEAD), $bin"
"$bin" bench soak --url "$url" --token "$token" --server-pid "$pid" --minutes "$minutes" "$@"
kill "$server"; wait "$server" 2>/dev/null || true
echo "server log: $work/serve.log"
