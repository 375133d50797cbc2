#!/bin/sh
# tessera — benchmarks/with_engines.sh COMMAND [ARGS...]
#
# Runs COMMAND with a throwaway PostgreSQL (tests/store/postgres/with_postgres.sh: a fresh
# cluster on 127.0.0.1, default durability) and a throwaway Redis configured as tessera's
# documentation recommends for an auth store (append-only file, fsync at every write,
# noeviction), both on free loopback ports, stopped by PID afterwards. COMMAND sees
# TESSERA_BENCH_PG (a libpq connection string) and TESSERA_BENCH_REDIS (a redis:// URL), which
# benchmarks/throughput.sh and tessera_bench_store read:
#
#   benchmarks/with_engines.sh benchmarks/throughput.sh 10
#   benchmarks/with_engines.sh build/benchmarks/tessera_bench_store
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ "$#" -gt 0 ] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }
if [ -z "${TESSERA_BENCH_INNER:-}" ]; then
  TESSERA_BENCH_INNER=1 exec "$here/../tests/store/postgres/with_postgres.sh" "$0" "$@"
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/tessera-bench-redis.XXXXXX")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save "" --appendonly yes --appendfsync always \
  --maxmemory-policy noeviction --daemonize no --logfile "$dir/redis.log" &
redis_pid=$!
cleanup() {
  kill -TERM "$redis_pid" 2>/dev/null || true
  wait "$redis_pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM
i=0
until [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ]; do
  i=$((i + 1))
  [ "$i" -lt 200 ] || { echo "with_engines.sh: redis-server did not start" >&2; cat "$dir/redis.log" >&2; exit 1; }
  sleep 0.05
done
export TESSERA_BENCH_PG="$TESSERA_TEST_PG_CONNINFO"
export TESSERA_BENCH_REDIS="redis://127.0.0.1:$port"
status=0
"$@" || status=$?
exit "$status"
