#!/usr/bin/env bash
# Segment compatibility test: builds rapport, starts it on a fresh SQLite database with a
# workspace, an owner and an API token, then drives its Segment intake (`/segment/v1/…`) with
# Segment's own libraries — @segment/analytics-node 3.1.0 (node.test.mjs) and
# segment-analytics-python 2.4.0 (python_test.py, in a venv under ~/.cache) — and checks the
# results through the REST API. The server and the temporary files go away on exit.
#
#   tests/segment/run.sh                             # from anywhere in the repository
#   RAPPORT_BIN=path/to/rapport tests/segment/run.sh # skip the build, use this binary
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
SUITE=segment
source tests/start-server.sh

PYTHON_LIBRARY="segment-analytics-python==2.4.0"
VENV="${RAPPORT_SEGMENT_VENV:-$HOME/.cache/rapport-segment-venv}"

create_workspace "Segment test" segment-owner@example.com "Segment Owner"
TRACKING_KEY="$("$RAPPORT_BIN" workspace show "$APP_ID" --database-url "$DATABASE_URL" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["tracking_key"])')"
[[ -n "$TRACKING_KEY" ]] || { echo "the workspace has no tracking key" >&2; exit 1; }
export RAPPORT_TOKEN="$TOKEN" RAPPORT_TRACKING_KEY="$TRACKING_KEY"

echo "==> npm ci (tests/segment)"
(cd tests/segment && npm ci --no-audit --no-fund)

if ! "$VENV/bin/python" -m pip show segment-analytics-python 2>/dev/null | grep -qx "Version: 2.4.0"; then
  echo "==> python venv $VENV with $PYTHON_LIBRARY"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$PYTHON_LIBRARY"
fi

start_server

status=0
echo "==> node --test tests/segment/ (@segment/analytics-node)"
node --test tests/segment/ || status=$?
echo "==> python tests/segment/python_test.py (segment-analytics-python)"
"$VENV/bin/python" tests/segment/python_test.py || status=$?
if [[ $status -ne 0 ]]; then
  echo "---- server log (last 50 lines) ----" >&2
  tail -n 50 "$WORK/server.log" >&2
fi
exit $status
