#!/usr/bin/env bash
# Inbound email test with real peers: starts `rapport serve` with its SMTP listener (STARTTLS
# with a self-signed certificate made here by openssl, a small size limit) on a fresh SQLite
# database with a workspace, an owner and an API token, then runs tests/mail/test_inbound.py
# (Python's standard smtplib and urllib, no other dependency) against it.
#
#   tests/mail/run.sh                                  # from anywhere in the repository
#   RAPPORT_BIN=path/to/rapport tests/mail/run.sh      # skip the build, use this binary
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
SUITE=mail
source tests/start-server.sh

export RAPPORT_DATABASE_URL="$DATABASE_URL"
create_workspace "Mail test" mail-owner@example.com "Mail Owner"
export RAPPORT_INBOUND_DOMAIN=in.rapport.test
WORKSPACE_JSON="$("$RAPPORT_BIN" workspace show "$APP_ID" --database-url "$DATABASE_URL")"

echo "==> a self-signed certificate for STARTTLS"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
  -keyout "$WORK/smtp-key.pem" -out "$WORK/smtp-cert.pem" >/dev/null 2>&1

SMTP_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
export RAPPORT_TOKEN="$TOKEN" RAPPORT_APP_ID="$APP_ID" RAPPORT_WORKSPACE_JSON="$WORKSPACE_JSON"
export RAPPORT_SMTP_HOST=127.0.0.1 RAPPORT_SMTP_PORT_FOR_TESTS="$SMTP_PORT" RAPPORT_SMTP_MAX_FOR_TESTS=300000
start_server --smtp-listen "127.0.0.1:$SMTP_PORT" --smtp-max-message-bytes 300000 \
  --smtp-tls-cert "$WORK/smtp-cert.pem" --smtp-tls-key "$WORK/smtp-key.pem" --smtp-auth-timeout-ms 2000

echo "==> python3 tests/mail/test_inbound.py"
status=0
python3 tests/mail/test_inbound.py || status=$?
if [[ $status -ne 0 ]]; then
  echo "---- server log (last 50 lines) ----" >&2
  tail -n 50 "$WORK/server.log" >&2
fi
exit $status
