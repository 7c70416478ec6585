#!/usr/bin/env bash
# Segment intake benchmark (docs/BENCHMARKS.md "Segment intake"): a release server on a fresh
# SQLite database, or PostgreSQL with BACKEND=postgres (a database created for the run on
# RAPPORT_BENCH_POSTGRES, default postgres://postgres@127.0.0.1:5432, dropped after), and
# bench.mjs posting batches of track events. SENDERS, BATCHES, SIZE, USERS tune bench.mjs.
#
#   tests/segment/bench.sh
#   BACKEND=postgres tests/segment/bench.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
SUITE=segment-bench
source tests/start-server.sh

if [[ "${BACKEND:-sqlite}" == postgres ]]; then
  PG="${RAPPORT_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
  PG_DB="rapport_segment_bench_$$"
  psql "$PG/postgres" -qc "CREATE DATABASE $PG_DB"
  trap 'cleanup; psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)"' EXIT INT TERM
  DATABASE_URL="$PG/$PG_DB"
fi

last_line() { tail -n 1 | tr -d '\r'; }
APP_ID="$("$RAPPORT_BIN" workspace create --database-url "$DATABASE_URL" --name "Segment bench" | last_line)"
RAPPORT_TRACKING_KEY="$("$RAPPORT_BIN" workspace show "$APP_ID" --database-url "$DATABASE_URL" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["tracking_key"])')"
export RAPPORT_TRACKING_KEY
start_server
echo "==> ${BACKEND:-sqlite}: node tests/segment/bench.mjs"
node tests/segment/bench.mjs
