#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL cluster (Debian's postgresql package,
# installed when missing), then stops and deletes the cluster, also when the command fails:
#   bash scripts/with-postgres.sh npm test      (also: npm run test:postgres)
#
# The cluster listens on loopback only and takes no password-less connections: local
# sockets use peer authentication, TCP connections SCRAM with a password made for this
# run. The command gets:
#   TEST_POSTGRES_URL      postgresql://postgres:<password>@127.0.0.1:<port>/postgres
#   TEST_POSTGRES_CLUSTER  "<version> <name>", for fault tests that restart it
#                          (pg_ctlcluster $TEST_POSTGRES_CLUSTER restart)
set -euo pipefail

PORT="${TEST_POSTGRES_PORT:-55432}"
# Another run's cluster may hold the port (two suites at once): take the next free one.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
while port_in_use "$PORT"; do PORT=$((PORT + 1)); done
if ! command -v pg_createcluster >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
VERSION="$(ls /usr/lib/postgresql | sort -V | tail -1)"
NAME="shoptest$$"

# Earlier versions of this script left a cluster named shopci running on the same port with trust authentication.
if pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$VERSION shopci"; then
  pg_dropcluster --stop "$VERSION" shopci
fi

cleanup() {
  pg_dropcluster --stop "$VERSION" "$NAME" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PASSWORD="$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')"
pg_createcluster "$VERSION" "$NAME" --port "$PORT" -- --auth-local=peer --auth-host=scram-sha-256 >/dev/null
sed -i "s/^#\?listen_addresses.*/listen_addresses = '127.0.0.1'/" "/etc/postgresql/$VERSION/$NAME/postgresql.conf"
pg_ctlcluster "$VERSION" "$NAME" start
runuser -u postgres -- psql -q -p "$PORT" -c "ALTER USER postgres PASSWORD '$PASSWORD'" >/dev/null
for _ in $(seq 1 50); do
  pg_isready -q -h 127.0.0.1 -p "$PORT" && break
  sleep 0.2
done

export TEST_POSTGRES_URL="postgresql://postgres:${PASSWORD}@127.0.0.1:${PORT}/postgres"
export TEST_POSTGRES_CLUSTER="$VERSION $NAME"
status=0
"$@" || status=$?
exit "$status"
