#!/usr/bin/env bash
# Makes sure the PostgreSQL server and the NATS server the tests use are up (on this project's
# machines both are installed from Debian's packages; this starts them when they have stopped).
set -euo pipefail
nats_up() { (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; }
if ! nats_up && command -v nats-server >/dev/null 2>&1; then
  nohup nats-server -a 127.0.0.1 -p 4222 >/tmp/rapport-test-nats.log 2>&1 &
  for _ in $(seq 1 30); do nats_up && break; sleep 0.2; done
fi
nats_up || echo "warning: NATS is not reachable on 127.0.0.1:4222; the bus and cluster tests will fail" >&2
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
