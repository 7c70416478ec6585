#!/usr/bin/env bash
# The agent app's two screens (`rapport bench views`: the inbox view, the conversation view with
# its context panel) on one backend at N conversations, optionally before and after an upgrade.
# Usage: scripts/bench-views.sh sqlite|postgres [conversations]
#   RAPPORT_BIN         the server (and bench client) measured; default: this checkout's release build
#   RAPPORT_BEFORE_BIN  when set: seed and measure with this binary first (an older release), then
#                       start RAPPORT_BIN on the same database (it migrates) and measure again
#   VIEWS_SECONDS       seconds per view (default 20); VIEWS_CONCURRENCY agents (default 8)
# Prints every report; docs/BENCHMARKS.md records the figures.
set -euo pipefail
backend="$1"
conversations="${2:-1000000}"
after_bin="${RAPPORT_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/rapport-target}/release/rapport}"
before_bin="${RAPPORT_BEFORE_BIN:-}"
# The database is created, seeded and first served by the older binary when there is one.
export RAPPORT_BIN="${before_bin:-$after_bin}"
bench=views usage="$0 sqlite|postgres [conversations]"
source "$(dirname "$0")/bench-setup.sh"
source "$(dirname "$0")/bench-seeded.sh"

add_team "$bin"
seed "$bin" "$conversations"
analyze

export RAPPORT_URL="$url" RAPPORT_TOKEN="$token"
views() {
  # The client is always the newer binary (the older may not have `bench views`).
  "$after_bin" bench views --seconds "${VIEWS_SECONDS:-20}" --concurrency "${VIEWS_CONCURRENCY:-8}"
}
if [ -n "$before_bin" ]; then
  serve "$before_bin"
  echo "== views before ($backend, $before_bin)"
  views
  kill "$server"; wait "$server" || true
  echo "== upgrade: $after_bin migrates the same database"
  start=$(date +%s)
  "$after_bin" migrate --database-url "$db"
  echo "migrate wall clock: $(( $(date +%s) - start )) s"
  analyze
fi
serve "$after_bin"
echo "== views ($backend, $after_bin)"
views
kill "$server"; wait "$server" || true
