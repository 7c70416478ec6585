#!/usr/bin/env bash
# Browser tests of the messenger widget and the agent app: Debian's Chromium (scripts/ensure-browser.sh) driven by
# playwright-core under node:test, against `rapport serve --demo` on a free port with a fresh SQLite
# database. The server and the temporary files go away on exit.
#
#   tests/browser/run.sh                           # builds rapport (release) first
#   RAPPORT_BIN=path/to/rapport tests/browser/run.sh   # use this binary
#   tests/browser/run.sh --test-name-pattern=offline   # extra arguments go to node --test
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
SUITE=browser
source tests/start-server.sh

export RAPPORT_CHROMIUM="$(scripts/ensure-browser.sh | tail -n 1)"
# --allow-private-webhooks: settings-rules.test.mjs subscribes a receiver it runs on 127.0.0.1.
start_server --demo --allow-private-webhooks

# The demo prints "  API token: TOKEN"; `workspace list` prints each workspace as JSON.
RAPPORT_TOKEN="$(sed -n 's/^ *API token: *//p' "$WORK/server.log" | head -n 1 | tr -d '\r')"
[[ -n "$RAPPORT_TOKEN" ]] || { echo "the demo printed no API token:" >&2; cat "$WORK/server.log" >&2; exit 1; }
export RAPPORT_TOKEN
WORKSPACE_JSON="$("$RAPPORT_BIN" workspace list --database-url "$DATABASE_URL" | grep '^{' | head -n 1)"
export RAPPORT_APP_ID="$(node -e 'console.log(JSON.parse(process.argv[1]).app_id)' "$WORKSPACE_JSON")"
export RAPPORT_IDENTITY_SECRET="$(node -e 'console.log(JSON.parse(process.argv[1]).identity_verification_secret)' "$WORKSPACE_JSON")"
# The workspace-switch test makes a second workspace with the CLI on the server's database.
export RAPPORT_TEST_DATABASE_URL="$DATABASE_URL"

echo "==> npm ci (tests/browser)"
(cd tests/browser && npm ci --no-audit --no-fund)

echo "==> node --test tests/browser/"
status=0
node --test --test-concurrency=1 "$@" tests/browser/ || status=$?
if [[ $status -ne 0 ]]; then
  echo "---- server log (last 80 lines) ----" >&2
  tail -n 80 "$WORK/server.log" >&2
fi
exit $status
