#!/usr/bin/env bash
# SDK compatibility test: builds rapport, starts it on a fresh SQLite database with a workspace,
# an owner and an API token, then runs tests/sdk/sdk.test.mjs (the official Intercom Node SDK,
# intercom-client 7.0.3) against it. The server and the temporary files go away on exit.
#
#   tests/sdk/run.sh                      # from anywhere in the repository
#   RAPPORT_BIN=path/to/rapport tests/sdk/run.sh   # skip the build, use this binary
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
SUITE=sdk
source tests/start-server.sh

export RAPPORT_DATABASE_URL="$DATABASE_URL"

# The last line of each command's output is the value we need (app_id, token).
last_line() { tail -n 1 | tr -d '\r'; }

echo "==> setting up a workspace on $DATABASE_URL"
APP_ID="$("$RAPPORT_BIN" workspace create --database-url "$DATABASE_URL" --name "SDK test" | last_line)"
"$RAPPORT_BIN" admin create --database-url "$DATABASE_URL" --workspace "$APP_ID" \
  --email sdk-owner@example.com --name "SDK Owner" --password "sdk-owner-password" --role owner >/dev/null
TOKEN="$("$RAPPORT_BIN" token create --database-url "$DATABASE_URL" --workspace "$APP_ID" \
  --admin sdk-owner@example.com | last_line)"
[[ -n "$APP_ID" && -n "$TOKEN" ]] || { echo "could not create the workspace or the token" >&2; exit 1; }

export RAPPORT_TOKEN="$TOKEN"
start_server

echo "==> npm ci (tests/sdk)"
(cd tests/sdk && npm ci --no-audit --no-fund)

echo "==> node --test tests/sdk/"
status=0
node --test tests/sdk/ || status=$?
if [[ $status -ne 0 ]]; then
  echo "---- server log (last 50 lines) ----" >&2
  tail -n 50 "$WORK/server.log" >&2
fi
exit $status
