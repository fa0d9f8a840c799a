#!/usr/bin/env bash
# Start Debian's PostgreSQL and create the test database; prints only the URL to use on stdout
# (everything the PostgreSQL tools say goes to stderr).
set -euo pipefail
{
  version="$(ls /usr/lib/postgresql | sort -V | tail -1)"
  if ! pg_lsclusters -h | grep -q "^${version} main"; then
    pg_createcluster "${version}" main
  fi
  pg_ctlcluster "${version}" main start || true
  for _ in $(seq 1 30); do
    if su postgres -c "pg_isready -q"; then break; fi
    sleep 1
  done
  su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='kb'\"" | grep -q 1 \
    || su postgres -c "psql -qc \"CREATE ROLE kb LOGIN SUPERUSER PASSWORD 'kb'\""
  su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='kb_test'\"" | grep -q 1 \
    || su postgres -c "createdb -O kb kb_test"
} 1>&2
echo "postgresql://kb:kb@127.0.0.1:5432/kb_test"
