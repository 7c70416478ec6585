#!/usr/bin/env bash
# Inbound email accepted durably per second: a release `rapport serve --smtp-listen` on a fresh
# database, then tests/mail/bench.py (Python's smtplib, CONCURRENCY connections, half new
# conversations and half threaded replies). A 250 is only sent after the commit.
#
#   scripts/bench-mail-in.sh sqlite|postgres [DURATION=10] [CONCURRENCY=8]
set -euo pipefail
cd "$(dirname "$0")/.."
backend="${1:-}"; duration="${2:-10}"; concurrency="${3:-8}"
bench=mailin
usage="scripts/bench-mail-in.sh sqlite|postgres [DURATION] [CONCURRENCY]"
source scripts/bench-setup.sh
smtp_port=$((port + 1))
"$bin" serve --database-url "$db" --listen "127.0.0.1:$port" --smtp-listen "127.0.0.1:$smtp_port" \
  --inbound-domain in.bench.test --smtp-auth-timeout-ms "${AUTH_TIMEOUT_MS:-200}" > "$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$smtp_port),1)" 2>/dev/null && break
  sleep 0.2
done
python3 tests/mail/bench.py 127.0.0.1 "$smtp_port" "$app_id@in.bench.test" "$duration" "$concurrency"
