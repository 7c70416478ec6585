# Sourced by the bench scripts: a fresh database on "$backend" (sqlite|postgres, named after
# "$bench"), a workspace with an owner and an API token, and a free-ish port. Sets bin, work, db,
# port, url, app_id, token; prints "$usage" and exits on an unknown backend.
bin="${RAPPORT_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/rapport-target}/release/rapport}"
work=$(mktemp -d "/tmp/rapport-$bench-XXXX")
case "$backend" in
  sqlite) db="sqlite://$work/rapport.db" ;;
  postgres)
    name="rapport_${bench}_$(date +%s)"
    psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $name" postgres
    db="postgres://postgres@127.0.0.1:5432/$name" ;;
  *) echo "usage: $usage" >&2; exit 2 ;;
esac
port=$((20000 + RANDOM % 20000))
url="http://127.0.0.1:$port"
app_id=$("$bin" workspace create --database-url "$db" --name Bench | tail -n 1)
"$bin" admin create --database-url "$db" --workspace "$app_id" --email bench@example.com --name "Bench Owner" \
  --password bench-password --role owner > /dev/null
token=$("$bin" token create --database-url "$db" --workspace "$app_id" --admin bench@example.com | tail -n 1)
