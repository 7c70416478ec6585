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
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rapport-target}"

if [[ -z "${RAPPORT_BIN:-}" ]]; then
  echo "==> cargo build --release -p rapport"
  cargo build --release -p rapport
  RAPPORT_BIN="$CARGO_TARGET_DIR/release/rapport"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/rapport-sdk.XXXXXX")"
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

PORT="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
export RAPPORT_URL="http://127.0.0.1:$PORT"
export RAPPORT_TOKEN="$TOKEN"

echo "==> rapport serve on $RAPPORT_URL (log: $WORK/server.log)"
"$RAPPORT_BIN" serve --listen "127.0.0.1:$PORT" --database-url "$DATABASE_URL" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

healthy=""
for _ in $(seq 1 100); do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "rapport serve exited:" >&2; cat "$WORK/server.log" >&2; exit 1
  fi
  if node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$RAPPORT_URL/healthz"; then
    healthy=1; break
  fi
  sleep 0.2
done
[[ -n "$healthy" ]] || { echo "rapport serve never became healthy:" >&2; cat "$WORK/server.log" >&2; exit 1; }

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
