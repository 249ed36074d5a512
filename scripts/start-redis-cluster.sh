#!/usr/bin/env bash
# Starts a small Redis Cluster on loopback for the cluster tests: 6 redis-server processes on
# ports 7000-7005 (3 masters, 3 replicas), nothing kept on disk. Idempotent: does nothing when
# the cluster already answers "cluster_state:ok". Needs Debian's redis-server and redis-cli.
set -euo pipefail
BASE=${REDIS_CLUSTER_BASE_PORT:-7000}
DIR=${REDIS_CLUSTER_DIR:-/tmp/shoal-redis-cluster}

if redis-cli -p "$BASE" cluster info 2>/dev/null | grep -q 'cluster_state:ok'; then
  echo "redis cluster already running on $BASE-$((BASE + 5))"
  exit 0
fi

mkdir -p "$DIR"
nodes=()
for i in 0 1 2 3 4 5; do
  port=$((BASE + i))
  mkdir -p "$DIR/$port"
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  rm -f "$DIR/$port/nodes.conf"
  redis-server --port "$port" --bind 127.0.0.1 --cluster-enabled yes \
    --cluster-config-file "$DIR/$port/nodes.conf" --cluster-node-timeout 5000 \
    --save '' --appendonly no --dir "$DIR/$port" --daemonize yes \
    --logfile "$DIR/$port/redis.log"
  nodes+=("127.0.0.1:$port")
done
for i in 0 1 2 3 4 5; do
  for _ in $(seq 50); do
    redis-cli -p $((BASE + i)) ping >/dev/null 2>&1 && break
    sleep 0.1
  done
done
redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes >/dev/null
for _ in $(seq 100); do
  if redis-cli -p "$BASE" cluster info | grep -q 'cluster_state:ok'; then
    echo "redis cluster ready on $BASE-$((BASE + 5))"
    exit 0
  fi
  sleep 0.1
done
echo "redis cluster did not become ready" >&2
exit 1
