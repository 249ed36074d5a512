#!/usr/bin/env bash
# Starts the test Redis on 127.0.0.1:6379 if it is not answering (the command this machine's
# services use; nothing kept on disk).
set -euo pipefail
if redis-cli -p 6379 ping >/dev/null 2>&1; then
  exit 0
fi
mkdir -p /var/lib/redis /var/log/redis
redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
  --dir /var/lib/redis --logfile /var/log/redis/ci.log
for _ in $(seq 50); do
  redis-cli -p 6379 ping >/dev/null 2>&1 && exit 0
  sleep 0.1
done
echo "redis on 6379 did not start" >&2
exit 1
