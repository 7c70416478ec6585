# Sourced by the suites' run.sh (browser, sdk, mail, mail-out, segment; not run on its own). It
# builds rapport (release) unless RAPPORT_BIN is set, makes a temporary directory $WORK with a
# fresh SQLite database $DATABASE_URL, picks a free port ($RAPPORT_URL), and removes the server and
# $WORK on exit. `create_workspace NAME EMAIL OWNER` sets up a workspace with an owner and an API
# token (APP_ID, ADMIN_ID, TOKEN). `start_server ARGS…` then runs `rapport serve ARGS…` there and
# waits until it is healthy; its output goes to $WORK/server.log.
#
# Needs: ROOT (the repository root, the current directory) and SUITE (a short name: browser, sdk).

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rapport-target}"
if [[ -z "${RAPPORT_BIN:-}" ]]; then
  echo "==> cargo build --release -p rapport"
  cargo build --release -p rapport
  RAPPORT_BIN="$CARGO_TARGET_DIR/release/rapport"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/rapport-$SUITE.XXXXXX")"
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

# The last line of a CLI command's output is its value (app_id, admin id, token).
last_line() { tail -n 1 | tr -d '\r'; }

# `create_workspace NAME EMAIL OWNER`: workspace NAME on $DATABASE_URL with owner OWNER <EMAIL>
# (password: EMAIL's local part + "-password") and an API token of that owner. Sets APP_ID,
# ADMIN_ID and TOKEN; exits when one could not be made.
create_workspace() {
  local name="$1" email="$2" owner="$3"
  echo "==> setting up a workspace on $DATABASE_URL"
  APP_ID="$("$RAPPORT_BIN" workspace create --database-url "$DATABASE_URL" --name "$name" | last_line)"
  ADMIN_ID="$("$RAPPORT_BIN" admin create --database-url "$DATABASE_URL" --workspace "$APP_ID" \
    --email "$email" --name "$owner" --password "${email%@*}-password" --role owner | last_line)"
  TOKEN="$("$RAPPORT_BIN" token create --database-url "$DATABASE_URL" --workspace "$APP_ID" --admin "$email" | last_line)"
  [[ -n "$APP_ID" && -n "$ADMIN_ID" && -n "$TOKEN" ]] || { echo "could not set up the workspace" >&2; exit 1; }
}

start_server() {
  echo "==> rapport serve $* on $RAPPORT_URL (log: $WORK/server.log)"
  "$RAPPORT_BIN" serve "$@" --listen "127.0.0.1:$PORT" --database-url "$DATABASE_URL" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  local _
  for _ in $(seq 1 300); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "rapport serve exited:" >&2; cat "$WORK/server.log" >&2; exit 1
    fi
    if node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$RAPPORT_URL/healthz"; then
      return 0
    fi
    sleep 0.2
  done
  echo "rapport serve never became healthy:" >&2; cat "$WORK/server.log" >&2; exit 1
}
