#!/usr/bin/env bash
# Outbound email end to end: a real `rapport serve` sends teammates' replies through a real SMTP
# server (aiosmtpd, tests/mail-out/sink.py) acting as the relay; test_outbound.py drives the API and
# checks what the relay received (threading headers, Reply-To token, both MIME parts, a DKIM
# signature verified with dkimpy) and what the API shows (email_delivery sent / failed with the
# relay's reason). The Python packages are pinned in requirements.txt (ensure-venv.sh).
#
#   tests/mail-out/run.sh                          # builds rapport (release) first
#   RAPPORT_BIN=path/to/rapport tests/mail-out/run.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
SUITE=mail-out
source tests/start-server.sh

PYTHON="$(tests/mail-out/ensure-venv.sh | tail -n 1)"
create_workspace "Acme" alice@acme.test "Alice"

echo "==> DKIM key and SMTP sink"
openssl genrsa -traditional -out "$WORK/dkim.pem" 2048 2>/dev/null
openssl rsa -in "$WORK/dkim.pem" -pubout -out "$WORK/dkim.pub" 2>/dev/null
mkfifo "$WORK/sink.in"
"$PYTHON" tests/mail-out/sink.py --out "$WORK/sink" --reject gone@client.test <"$WORK/sink.in" >"$WORK/sink.out" 2>"$WORK/sink.log" &
SINK_PID=$!
exec 8>"$WORK/sink.in"   # the sink runs until this closes (on exit)
for _ in $(seq 1 100); do grep -q READY "$WORK/sink.out" 2>/dev/null && break; sleep 0.1; done
SINK_PORT="$(awk '/READY/ {print $2}' "$WORK/sink.out")"
[[ -n "$SINK_PORT" ]] || { echo "the SMTP sink did not start:" >&2; cat "$WORK/sink.log" >&2; exit 1; }

# 8>&-: the server must not inherit the sink's FIFO, or the sink never sees it close.
start_server --smtp-relay "smtp://127.0.0.1:$SINK_PORT" --smtp-relay-tls off \
  --smtp-from-address support@acme.test --dkim-selector s1 --dkim-private-key "$WORK/dkim.pem" \
  --smtp-retry-base-ms 100 8>&-

echo "==> python tests/mail-out/test_outbound.py"
status=0
RAPPORT_TOKEN="$TOKEN" RAPPORT_APP_ID="$APP_ID" RAPPORT_ADMIN_ID="$ADMIN_ID" \
  RAPPORT_SQLITE="$WORK/rapport.db" SINK_OUT="$WORK/sink" DKIM_PUBLIC_KEY="$WORK/dkim.pub" \
  "$PYTHON" tests/mail-out/test_outbound.py || status=$?
if [[ $status -ne 0 ]]; then
  echo "---- server log (last 50 lines) ----" >&2
  tail -n 50 "$WORK/server.log" >&2
fi
exec 8>&-
# Bounded: a sink still running after its input closed is stopped rather than waited on forever.
for _ in $(seq 1 50); do kill -0 "$SINK_PID" 2>/dev/null || break; sleep 0.1; done
kill "$SINK_PID" 2>/dev/null || true
wait "$SINK_PID" 2>/dev/null || true
exit $status
