#!/usr/bin/env bash
# Browser tests of the messenger widget: Debian's Chromium (scripts/ensure-browser.sh) driven by
# playwright-core under node:test, against `rapport serve --demo` on a free port with a fresh SQLite
# database. The server and the temporary files go away on exit.
#
#   tests/browser/run.sh                           # builds rapport (release) first
#   RAPPORT_BIN=path/to/rapport tests/browser/run.sh   # use this binary
#   tests/browser/run.sh --test-name-pattern=offline   # extra arguments go to node --test
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rapport-target}"

if [[ -z "${RAPPORT_BIN:-}" ]]; then
  echo "==> cargo build --release -p rapport"
  cargo build --release -p rapport
  RAPPORT_BIN="$CARGO_TARGET_DIR/release/rapport"
fi

export RAPPORT_CHROMIUM="$(scripts/ensure-browser.sh | tail -n 1)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/rapport-browser.XXXXXX")"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

DATABASE_URL="sqlite://$WORK/rapport.db"
PORT="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
export RAPPORT_URL="http://127.0.0.1:$PORT"

echo "==> rapport serve --demo on $RAPPORT_URL (log: $WORK/server.log)"
"$RAPPORT_BIN" serve --demo --listen "127.0.0.1:$PORT" --database-url "$DATABASE_URL" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

healthy=""
for _ in $(seq 1 300); do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "rapport serve exited:" >&2; cat "$WORK/server.log" >&2; exit 1
  fi
  if node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$RAPPORT_URL/healthz"; then
    healthy=1; break
  fi
  sleep 0.2
done
[[ -n "$healthy" ]] || { echo "rapport serve never became healthy:" >&2; cat "$WORK/server.log" >&2; exit 1; }

# The demo prints "  API token: TOKEN"; `workspace list` prints each workspace as JSON.
RAPPORT_TOKEN="$(sed -n 's/^ *API token: *//p' "$WORK/server.log" | head -n 1 | tr -d '\r')"
[[ -n "$RAPPORT_TOKEN" ]] || { echo "the demo printed no API token:" >&2; cat "$WORK/server.log" >&2; exit 1; }
export RAPPORT_TOKEN
WORKSPACE_JSON="$("$RAPPORT_BIN" workspace list --database-url "$DATABASE_URL" | grep '^{' | head -n 1)"
export RAPPORT_APP_ID="$(node -e 'console.log(JSON.parse(process.argv[1]).app_id)' "$WORKSPACE_JSON")"
export RAPPORT_IDENTITY_SECRET="$(node -e 'console.log(JSON.parse(process.argv[1]).identity_verification_secret)' "$WORKSPACE_JSON")"

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
