#!/usr/bin/env bash
# Makes sure the PostgreSQL server the tests use is up (on this project's machines it is installed
# from Debian's packages; this starts it when it has stopped).
set -euo pipefail
if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  exit 0
fi
if command -v pg_ctlcluster >/dev/null 2>&1; then
  version=$(ls /etc/postgresql | head -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
fi
for _ in $(seq 1 30); do
  pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && exit 0
  sleep 1
done
echo "PostgreSQL is not reachable on 127.0.0.1:5432; install and start it, or set RAPPORT_TEST_POSTGRES_URL" >&2
exit 1
