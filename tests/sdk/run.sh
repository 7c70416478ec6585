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

create_workspace "SDK test" sdk-owner@example.com "SDK Owner"

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
