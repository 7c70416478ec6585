#!/usr/bin/env bash
# API contract test: runs schemathesis (pinned in requirements.txt, in a venv under ~/.cache) with
# every check against a real `rapport serve`, first on a fresh SQLite file, then on a fresh
# PostgreSQL database (created under a unique name and dropped on exit). Each run has its own
# workspace, owner and API token (made with the CLI), a fixed seed and a bounded number of
# examples per operation. Any failure — a server error, a status or body the document does not
# list, a request valid by the document that is refused, an invalid one that is accepted — fails
# the script. It prints the operations and test cases run per engine (docs/CONFORMANCE.md).
#
#   tests/conformance/run.sh                             # from anywhere in the repository
#   RAPPORT_BIN=path/to/rapport tests/conformance/run.sh # skip the build, use this binary
#   CONFORMANCE_EXAMPLES=50 CONFORMANCE_SEED=7 tests/conformance/run.sh
#   CONFORMANCE_ENGINES=sqlite tests/conformance/run.sh  # one engine (sqlite or postgres)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
SUITE=conformance
source tests/start-server.sh

EXAMPLES="${CONFORMANCE_EXAMPLES:-20}"
SEED="${CONFORMANCE_SEED:-20260417}"
ENGINES="${CONFORMANCE_ENGINES:-sqlite postgres}"
POSTGRES_URL="${RAPPORT_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

# The venv, made once per requirements.txt (as tests/mail-out/ensure-venv.sh does).
VENV="${RAPPORT_CONFORMANCE_VENV:-$HOME/.cache/rapport-venv/conformance}"
if ! cmp -s tests/conformance/requirements.txt "$VENV/.requirements" 2>/dev/null; then
  mkdir -p "$(dirname "$VENV")"
  exec 9>"$VENV.lock"
  flock 9
  if ! cmp -s tests/conformance/requirements.txt "$VENV/.requirements" 2>/dev/null; then
    echo "==> python venv $VENV with tests/conformance/requirements.txt"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r tests/conformance/requirements.txt
    cp tests/conformance/requirements.txt "$VENV/.requirements"
  fi
  exec 9>&-
fi

# The PostgreSQL database of this run, dropped on exit along with the server and $WORK.
PG_DB=""
pg_admin() { psql "$POSTGRES_URL" -v ON_ERROR_STOP=1 -qAtc "$1"; }
cleanup_all() {
  cleanup
  if [[ -n "$PG_DB" ]]; then pg_admin "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" || true; fi
}
trap cleanup_all EXIT INT TERM

stop_server() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}

# Operations left out, each with its reason (schemathesis prints them as deselected):
# - DELETE /tokens/{id} revokes an API token; token ids are small integers, so a generated id hits
#   the token the run authenticates with and every later request would be a 401.
EXCLUDE=(--exclude-operation-id revoke_token)

status=0
run_engine() {
  local engine="$1"
  echo "==> [$engine] schemathesis $("$VENV/bin/schemathesis" --version | awk '{print $NF}'):" \
    "all checks, $EXAMPLES examples per operation, seed $SEED, on $DATABASE_URL"
  create_workspace "Conformance ($engine)" conformance-owner@example.com "Conformance Owner"
  start_server
  local report="$WORK/report-$engine.json" engine_status=0
  # From $WORK: schemathesis keeps its replay data in ./.schemathesis.
  (cd "$WORK" && "$VENV/bin/schemathesis" \
    --config-file "$ROOT/tests/conformance/schemathesis.toml" \
    run "$RAPPORT_URL/api/openapi.json" \
    --checks all \
    --header "Authorization: Bearer $TOKEN" \
    --max-examples "$EXAMPLES" \
    --seed "$SEED" \
    --generation-database none \
    --workers 1 \
    --no-color \
    "${EXCLUDE[@]}" \
    --report json --report-json-path "$report") || engine_status=$?
  "$VENV/bin/python" - "$engine" "$report" <<'EOF' || engine_status=1
import json, sys
engine, path = sys.argv[1], sys.argv[2]
report = json.load(open(path))
ops, cases = report["operations"], report["test_cases"]
failures = sum(f["count"] for f in report["failures"])
print(f"==> [{engine}] operations: {ops['tested']} tested of {ops['total']} in the document "
      f"({ops['selected']} selected); test cases: {cases['generated']} generated; "
      f"failures: {failures}; errors: {len(report['errors'])}")
for f in report["failures"]:
    print(f"    {f['code']} {f['title']}: {f['count']} ({', '.join(f['operations'][:5])}{' …' if len(f['operations']) > 5 else ''})")
sys.exit(1 if failures or report["errors"] or ops["errored"] else 0)
EOF
  if [[ $engine_status -ne 0 ]]; then
    echo "---- [$engine] server log (last 50 lines) ----" >&2
    tail -n 50 "$WORK/server.log" >&2
    status=1
  fi
  stop_server
}

for engine in $ENGINES; do
  case "$engine" in
    sqlite)
      DATABASE_URL="sqlite://$WORK/conformance.db"
      ;;
    postgres)
      PG_DB="rapport_conformance_$$_$(date +%s)"
      pg_admin "CREATE DATABASE \"$PG_DB\""
      DATABASE_URL="${POSTGRES_URL%/*}/$PG_DB"
      ;;
    *) echo "unknown engine $engine (sqlite or postgres)" >&2; exit 2 ;;
  esac
  "$RAPPORT_BIN" migrate --database-url "$DATABASE_URL" >/dev/null
  run_engine "$engine"
done
exit $status
