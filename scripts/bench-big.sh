#!/usr/bin/env bash
# Issue 2's benchmark set on one backend, end to end: a fresh database, a workspace with a team,
# 1,000,000 conversations / 5,000,000 parts, then the query, write and memory benchmarks.
# Usage: scripts/bench-big.sh sqlite|postgres [conversations]
# Prints every report; docs/BENCHMARKS.md records the figures.
set -euo pipefail
backend="$1"
conversations="${2:-1000000}"
bench=bench usage="$0 sqlite|postgres [conversations]"
source "$(dirname "$0")/bench-setup.sh"
source "$(dirname "$0")/bench-seeded.sh"

add_team "$bin"
seed "$bin" "$conversations"
analyze
du -sh "$work" 2>/dev/null || true

serve "$bin"
export RAPPORT_URL="$url" RAPPORT_TOKEN="$token"
echo "== query ($backend)"
"$bin" bench query --seconds "${QUERY_SECONDS:-8}" --concurrency 8 --depth 50 --word invoice
echo "== views ($backend): the agent app's inbox and conversation views, 8 agents"
"$bin" bench views --seconds "${VIEWS_SECONDS:-20}" --concurrency 8
echo "== write ($backend)"
"$bin" bench write --seconds 15 --concurrency 16
kill "$server"; wait "$server" || true
echo "== memory ($backend, big database)"
"$bin" bench memory --database-url "$db" --idle-seconds 5
