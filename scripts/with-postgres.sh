#!/usr/bin/env bash
# Runs a command with TEST_POSTGRES_URL pointing at a throwaway PostgreSQL cluster on
# loopback (Debian's postgresql package; installed when missing):
#   bash scripts/with-postgres.sh npm test      (also: npm run test:postgres)
set -euo pipefail

PORT="${TEST_POSTGRES_PORT:-55432}"
if ! command -v pg_createcluster >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
VERSION="$(ls /usr/lib/postgresql | sort -V | tail -1)"
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$VERSION shopci"; then
  pg_createcluster "$VERSION" shopci --port "$PORT" -- --auth-local=trust --auth-host=trust >/dev/null
fi
pg_ctlcluster "$VERSION" shopci start 2>/dev/null || true
for _ in $(seq 1 50); do
  pg_isready -q -h 127.0.0.1 -p "$PORT" && break
  sleep 0.2
done

export TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:${PORT}/postgres"
"$@"
