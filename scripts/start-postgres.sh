#!/usr/bin/env bash
# Starts the test PostgreSQL on 127.0.0.1:5432 if it is not answering (the Debian cluster this
# machine's services use), and makes sure the `test` database the private-mode tests use exists.
set -euo pipefail
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  for _ in $(seq 50); do
    pg_isready -q -h 127.0.0.1 -p 5432 && break
    sleep 0.2
  done
fi
pg_isready -q -h 127.0.0.1 -p 5432 || { echo "postgresql on 5432 did not start" >&2; exit 1; }
if ! psql -h 127.0.0.1 -U postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1; then
  createdb -h 127.0.0.1 -U postgres test
fi
