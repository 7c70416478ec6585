# Sourced by the bench scripts that measure a big database (bench-big.sh, bench-views.sh), after
# bench-setup.sh: serving it, a team for the inbox's team views, the bulk seed and PostgreSQL's
# statistics. Uses bin, db, url, port, token, app_id, work, backend and name from bench-setup.sh.

# Starts `$1 serve` on the bench database (rate limits lifted) and waits for it; sets server.
serve() {
  "$1" serve --listen "127.0.0.1:$port" --database-url "$db" --api-calls-per-minute 100000000 > "$work/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 600); do curl -sf "$url/healthz" > /dev/null && return; sleep 0.1; done
  echo "server did not start" >&2; cat "$work/serve.log" >&2; exit 1
}

# Gives the workspace a team ("Support", the owner in it), through the API of `$1`.
add_team() {
  serve "$1"
  local admin_id
  admin_id=$(curl -sf -H "Authorization: Bearer $token" "$url/api/me" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"name\":\"Support\",\"admin_ids\":[\"$admin_id\"]}" "$url/api/teams" > /dev/null
  kill "$server"; wait "$server" || true
}

# Bulk-loads `$2` conversations (5 parts each, a contact per 10) with `$1 bench seed`.
seed() {
  echo "== seed $2 conversations ($backend, $1)"
  local start
  start=$(date +%s)
  "$1" bench seed --database-url "$db" --workspace "$app_id" --conversations "$2" --parts 5 \
    --contacts $(($2 / 10))
  echo "seed wall clock: $(( $(date +%s) - start )) s"
}

# PostgreSQL plans from statistics that autovacuum gathers only later, and the GIN indexes scan their
# pending list of bulk-inserted rows on every search until a vacuum (SQLite refreshes its statistics in
# the seed): without both the contact search took 417 ms (no statistics) or 21 ms more (pending list).
analyze() {
  if [ "$backend" = postgres ]; then psql -q -h 127.0.0.1 -U postgres -c "VACUUM (ANALYZE)" "$name"; fi
}
